"""Small charts as inline SVG, drawn on the server: no script, no chart library, no CDN.

Every function returns `Markup` built only from numbers and `escape()`d text, so the
templates can place it as is. Colours come from classes styled in `review.css` (the
Content-Security-Policy allows no inline style); sizes are attributes. Each chart has a
`<title>` and an `aria-label`, and each mark its own `<title>` for a tooltip.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape


def clock(seconds: float) -> str:
    """`m:ss` (or `h:mm:ss`) of a session time."""
    total = max(0, round(seconds))
    hours, rem = divmod(total, 3600)
    minutes, secs = divmod(rem, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def _n(value: float) -> str:
    """A coordinate: short, locale-free."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


@dataclass(frozen=True, slots=True)
class Band:
    start: float
    end: float
    label: str


@dataclass(frozen=True, slots=True)
class Marker:
    at: float
    kind: str  # question, follow_up, pushback, constraint, nudge, time_check, closing
    label: str
    href: str | None = None


@dataclass(frozen=True, slots=True)
class Span:
    start: float
    end: float
    label: str
    href: str | None = None


def _tick_step(duration: float, max_ticks: int = 8) -> float:
    for step in (10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600):
        if duration / step <= max_ticks:
            return float(step)
    return 3600.0 * math.ceil(duration / 3600 / max_ticks)


def _link(href: str | None, inner: str) -> str:
    if not href:
        return inner
    return f'<a href="{escape(href)}">{inner}</a>'


def timeline(
    duration: float,
    *,
    phases: Sequence[Band] = (),
    markers: Sequence[Marker] = (),
    answers: Sequence[Span] = (),
    pauses: Sequence[Span] = (),
    width: int = 1000,
) -> Markup:
    """The session on one axis: phases as bands, interviewer lines as marks (pushbacks
    and constraints with their own shapes), answers as bars, long pauses over them."""
    duration = max(duration, 1.0)
    left, right = 8.0, 12.0
    plot = width - left - right
    height = 128

    def x(t: float) -> float:
        return left + plot * min(max(t, 0.0), duration) / duration

    parts: list[str] = [
        f'<svg class="chart timeline" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Timeline of the session" xmlns="http://www.w3.org/2000/svg">',
        "<title>Timeline: phases, interviewer lines, answers and long pauses</title>",
        f'<rect class="plot-bg" x="{_n(left)}" y="0" width="{_n(plot)}" height="96"/>',
    ]
    for i, band in enumerate(phases):
        x0, x1 = x(band.start), x(band.end)
        w = max(x1 - x0, 1.0)
        label = escape(band.label)
        text = ""
        if w > 8 * len(band.label) * 0.62:
            text = f'<text class="band-label" x="{_n(x0 + 4)}" y="15">{label}</text>'
        parts.append(
            f'<g class="band band-{i % 2}"><title>Phase: {label} '
            f"({clock(band.start)}–{clock(band.end)})</title>"
            f'<rect x="{_n(x0)}" y="2" width="{_n(w)}" height="20"/>{text}</g>'
        )
    lane = 44.0
    for m in markers:
        cx = x(m.at)
        title = f"<title>{escape(clock(m.at))} {escape(m.label)}</title>"
        shape = _marker_shape(m.kind, cx, lane)
        kind = escape(m.kind.replace("_", "-"))
        parts.append(_link(m.href, f'<g class="mark mark-{kind}">{title}{shape}</g>'))
    for a in answers:
        x0, x1 = x(a.start), x(a.end)
        w = max(x1 - x0, 3.0)
        inner = (
            f'<g class="answer"><title>{escape(clock(a.start))} {escape(a.label)}</title>'
            f'<rect x="{_n(x0)}" y="64" width="{_n(w)}" height="18" rx="2"/></g>'
        )
        parts.append(_link(a.href, inner))
    for p in pauses:
        x0, x1 = x(p.start), x(p.end)
        inner = (
            f'<g class="pause"><title>{escape(clock(p.start))} {escape(p.label)}</title>'
            f'<rect x="{_n(x0)}" y="60" width="{_n(max(x1 - x0, 2.0))}" height="26"/></g>'
        )
        parts.append(_link(p.href, inner))
    step = _tick_step(duration)
    parts.append(f'<line class="axis" x1="{_n(left)}" y1="98" x2="{_n(left + plot)}" y2="98"/>')
    t = 0.0
    while t <= duration + 1e-6:
        tx = x(t)
        anchor = "start" if t == 0 else ("end" if tx > width - 30 else "middle")
        parts.append(
            f'<line class="tick" x1="{_n(tx)}" y1="98" x2="{_n(tx)}" y2="103"/>'
            f'<text class="tick-label" x="{_n(tx)}" y="117" text-anchor="{anchor}">'
            f"{clock(t)}</text>"
        )
        t += step
    parts.append("</svg>")
    return Markup("".join(parts))


def _marker_shape(kind: str, cx: float, lane: float) -> str:
    """Constraints are triangles, pushbacks diamonds, questions dots, the rest ticks."""
    if kind == "constraint":
        return (
            f'<path d="M{_n(cx)} {_n(lane - 10)} L{_n(cx + 9)} {_n(lane + 7)} '
            f'L{_n(cx - 9)} {_n(lane + 7)} Z"/>'
        )
    if kind == "pushback":
        return (
            f'<path d="M{_n(cx)} {_n(lane - 9)} L{_n(cx + 8)} {_n(lane)} '
            f'L{_n(cx)} {_n(lane + 9)} L{_n(cx - 8)} {_n(lane)} Z"/>'
        )
    if kind in ("question", "follow_up"):
        return f'<circle cx="{_n(cx)}" cy="{_n(lane)}" r="4.5"/>'
    return f'<rect x="{_n(cx - 1.5)}" y="{_n(lane - 7)}" width="3" height="14"/>'


def bars(
    values: Sequence[float | None],
    labels: Sequence[str],
    *,
    title: str,
    unit: str = "",
    hrefs: Sequence[str | None] | None = None,
    fmt: Callable[[float], str] = lambda v: f"{v:.0f}",
    width: int = 320,
    height: int = 160,
) -> Markup:
    """A vertical bar per value (an answer, say); a missing value shows as a dash."""
    n = max(len(values), 1)
    left, right, top, bottom = 30.0, 6.0, 16.0, 22.0
    plot_w, plot_h = width - left - right, height - top - bottom
    present = [v for v in values if v is not None]
    top_value = max(present, default=0.0)
    ceiling = _nice_ceiling(top_value)
    slot = plot_w / n
    bar_w = max(min(slot * 0.7, 40.0), 2.0)
    hrefs = list(hrefs) if hrefs is not None else [None] * len(values)

    def y(v: float) -> float:
        return top + plot_h - plot_h * (v / ceiling if ceiling else 0.0)

    parts = [
        f'<svg class="chart bars" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for frac in (0.0, 0.5, 1.0):
        gy = y(ceiling * frac)
        parts.append(
            f'<line class="grid" x1="{_n(left)}" y1="{_n(gy)}" x2="{_n(width - right)}" '
            f'y2="{_n(gy)}"/><text class="tick-label" x="{_n(left - 4)}" y="{_n(gy + 4)}" '
            f'text-anchor="end">{escape(fmt(ceiling * frac))}</text>'
        )
    show_every = max(1, math.ceil(n / 16))
    for i, (value, label) in enumerate(zip(values, labels, strict=False)):
        cx = left + slot * (i + 0.5)
        text_label = (
            f'<text class="tick-label" x="{_n(cx)}" y="{_n(height - 8)}" '
            f'text-anchor="middle">{escape(label)}</text>'
            if i % show_every == 0
            else ""
        )
        if value is None:
            inner = (
                f'<g class="bar missing"><title>{escape(label)}: no data</title>'
                f'<text class="value-label" x="{_n(cx)}" y="{_n(top + plot_h - 4)}" '
                f'text-anchor="middle">–</text></g>'
            )
        else:
            by = y(value)
            shown = escape(fmt(value) + (f" {unit}" if unit else ""))
            value_text = (
                f'<text class="value-label" x="{_n(cx)}" y="{_n(by - 4)}" '
                f'text-anchor="middle">{escape(fmt(value))}</text>'
                if n <= 16
                else ""
            )
            inner = (
                f'<g class="bar"><title>{escape(label)}: {shown}</title>'
                f'<rect x="{_n(cx - bar_w / 2)}" y="{_n(by)}" width="{_n(bar_w)}" '
                f'height="{_n(max(top + plot_h - by, 0.0))}"/>{value_text}</g>'
            )
        parts.append(_link(hrefs[i] if i < len(hrefs) else None, inner) + text_label)
    parts.append(
        f'<line class="axis" x1="{_n(left)}" y1="{_n(top + plot_h)}" '
        f'x2="{_n(width - right)}" y2="{_n(top + plot_h)}"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def share_bar(
    parts_in: Sequence[tuple[str, float, str]], *, title: str, width: int = 480
) -> Markup:
    """One horizontal bar split into shares: (label, seconds, css class) per part."""
    total = sum(max(v, 0.0) for _, v, _ in parts_in)
    height = 44
    parts = [
        f'<svg class="chart share" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    x0 = 0.0
    for label, value, cls in parts_in:
        w = width * (max(value, 0.0) / total) if total else 0.0
        pct = 100 * value / total if total else 0.0
        text = (
            f'<text class="share-label" x="{_n(x0 + 6)}" y="27">{escape(label)} {pct:.0f}%</text>'
            if w > 90
            else ""
        )
        parts.append(
            f'<g class="share-part {escape(cls)}"><title>{escape(label)}: {clock(value)} '
            f"({pct:.0f}%)</title>"
            f'<rect x="{_n(x0)}" y="8" width="{_n(w)}" height="28"/>{text}</g>'
        )
        x0 += w
    parts.append("</svg>")
    return Markup("".join(parts))


@dataclass(frozen=True, slots=True)
class Attempt:
    label: str  # a date, say
    auto: int | None
    self_level: int | None
    href: str | None = None


def levels_chart(
    attempts: Sequence[Attempt],
    scale: tuple[int, int],
    *,
    title: str,
    width: int = 320,
    height: int = 170,
) -> Markup:
    """Levels over attempts: the automatic level (solid, circles) and the self-score
    (dashed, squares), one point per attempt, oldest on the left."""
    low, high = scale
    span = max(high - low, 1)
    left, right, top, bottom = 24.0, 10.0, 10.0, 26.0
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(attempts), 1)

    def x(i: int) -> float:
        return left + (plot_w * (i + 0.5) / n)

    def y(level: float) -> float:
        return top + plot_h - plot_h * (level - low) / span

    parts = [
        f'<svg class="chart levels" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for level in range(low, high + 1):
        gy = y(level)
        parts.append(
            f'<line class="grid" x1="{_n(left)}" y1="{_n(gy)}" x2="{_n(width - right)}" '
            f'y2="{_n(gy)}"/><text class="tick-label" x="{_n(left - 6)}" y="{_n(gy + 4)}" '
            f'text-anchor="end">{level}</text>'
        )

    # The two series sit a little apart, so that equal levels both show.
    def series(values: list[tuple[int, int]], cls: str, dx: float) -> None:
        if len(values) > 1:
            points = " ".join(f"{_n(x(i) + dx)},{_n(y(v))}" for i, v in values)
            parts.append(f'<polyline class="{cls}-line" points="{points}"/>')

    series([(i, a.auto) for i, a in enumerate(attempts) if a.auto is not None], "auto", -3.0)
    series(
        [(i, a.self_level) for i, a in enumerate(attempts) if a.self_level is not None], "self", 3.0
    )
    show_every = max(1, math.ceil(n / 8))
    for i, a in enumerate(attempts):
        marks = []
        if a.auto is not None:
            marks.append(
                f'<g class="auto-point"><title>{escape(a.label)}: automatic level {a.auto}'
                f'</title><circle cx="{_n(x(i) - 3)}" cy="{_n(y(a.auto))}" r="5"/></g>'
            )
        if a.self_level is not None:
            marks.append(
                f'<g class="self-point"><title>{escape(a.label)}: your score {a.self_level}'
                f'</title><rect x="{_n(x(i) - 1)}" y="{_n(y(a.self_level) - 4)}" '
                f'width="8" height="8"/></g>'
            )
        parts.append(_link(a.href, "".join(marks)))
        if i % show_every == 0:
            parts.append(
                f'<text class="tick-label" x="{_n(x(i))}" y="{_n(height - 10)}" '
                f'text-anchor="middle">{escape(a.label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def _nice_ceiling(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return float(step * magnitude)
    return float(10 * magnitude)
