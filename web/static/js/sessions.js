// Past sessions: show each date in the reader's own time zone and format.
const formatter = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

for (const node of document.querySelectorAll("time.local-time")) {
  const when = new Date(node.dateTime);
  if (!Number.isNaN(when.getTime())) {
    node.textContent = formatter.format(when);
    node.title = when.toISOString();
  }
}
