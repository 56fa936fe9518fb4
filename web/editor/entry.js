// The code editor of the coding rounds: CodeMirror 6 set up for Python, bundled by esbuild
// into web/static/js/vendor/editor.js (`make editor`). The pages import that file only.
//
// Colours come from the site's custom properties (app.css), so the editor follows the light
// and dark schemes like the rest of the page; syntax colours are `tok-*` classes styled
// there too.
import { closeBrackets, closeBracketsKeymap } from "@codemirror/autocomplete";
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { python } from "@codemirror/lang-python";
import {
  bracketMatching,
  indentOnInput,
  indentUnit,
  syntaxHighlighting,
} from "@codemirror/language";
import { Annotation, Compartment, EditorState, Transaction } from "@codemirror/state";
import {
  EditorView,
  drawSelection,
  highlightActiveLine,
  highlightActiveLineGutter,
  highlightSpecialChars,
  keymap,
  lineNumbers,
} from "@codemirror/view";
import { classHighlighter } from "@lezer/highlight";
import { StyleModule } from "style-mod";

// The CSP (style-src 'self') refuses <style> elements, which is how CodeMirror's style-mod
// mounts its rules on a document. On a shadow root it uses a constructed style sheet
// (adoptedStyleSheets) instead, which the CSP allows: hand it the document as if it were
// one. Browsers without adoptedStyleSheets keep the default (and show an unstyled editor).
if (typeof document !== "undefined" && "adoptedStyleSheets" in document) {
  const mount = StyleModule.mount;
  const documentRoot = {
    ownerDocument: document,
    get adoptedStyleSheets() {
      return document.adoptedStyleSheets;
    },
    set adoptedStyleSheets(sheets) {
      document.adoptedStyleSheets = sheets;
    },
  };
  StyleModule.mount = (root, modules, options) =>
    mount(root === document ? documentRoot : root, modules, options);
}

// Marks the text set by the page (setDoc): not an edit, so no onChange and no undo step.
const replaced = Annotation.define();

const theme = EditorView.theme({
  "&": {
    color: "var(--text)",
    backgroundColor: "var(--surface)",
    fontSize: "0.9rem",
  },
  ".cm-content": {
    fontFamily: "var(--mono)",
    caretColor: "var(--text)",
    padding: "0.4rem 0",
  },
  ".cm-scroller": { fontFamily: "var(--mono)", lineHeight: "1.5" },
  "&.cm-focused": { outline: "none" },
  ".cm-cursor, .cm-dropCursor": { borderLeftColor: "var(--text)" },
  ".cm-gutters": {
    backgroundColor: "var(--surface-2)",
    color: "var(--muted)",
    borderRight: "1px solid var(--border)",
  },
  ".cm-activeLineGutter": { backgroundColor: "var(--border)", color: "var(--text)" },
  ".cm-activeLine": { backgroundColor: "color-mix(in srgb, var(--accent) 7%, transparent)" },
  "&.cm-focused > .cm-scroller > .cm-selectionLayer .cm-selectionBackground, .cm-selectionBackground, ::selection":
    { backgroundColor: "color-mix(in srgb, var(--accent) 30%, transparent)" },
  "&.cm-focused .cm-matchingBracket": {
    backgroundColor: "color-mix(in srgb, var(--ok) 30%, transparent)",
    outline: "1px solid var(--ok)",
  },
  "&.cm-focused .cm-nonmatchingBracket": {
    backgroundColor: "color-mix(in srgb, var(--danger) 30%, transparent)",
  },
});

// options: onChange(text) after every edit of the document; readOnly; label (the accessible
// name of the text area); keys ({"Mod-Enter": () => true, ...}: page commands that win over
// the editor's own bindings).
export function createEditor(parent, doc = "", options = {}) {
  const { onChange = null, readOnly = false, label = "Code", keys = {} } = options;
  const editable = new Compartment();
  const pageKeys = Object.entries(keys).map(([key, run]) => ({
    key,
    run: () => {
      run();
      return true;
    },
    preventDefault: true,
  }));
  const extensions = [
    lineNumbers(),
    highlightActiveLineGutter(),
    highlightSpecialChars(),
    history(),
    drawSelection(),
    indentUnit.of("    "),
    EditorState.tabSize.of(4),
    indentOnInput(),
    bracketMatching(),
    closeBrackets(),
    highlightActiveLine(),
    python(),
    syntaxHighlighting(classHighlighter),
    theme,
    keymap.of([...pageKeys, ...closeBracketsKeymap, ...defaultKeymap, ...historyKeymap, indentWithTab]),
    EditorView.contentAttributes.of({ "aria-label": label }),
    editable.of(readOnlyExtensions(readOnly)),
    EditorView.updateListener.of((update) => {
      if (!update.docChanged || !onChange) return;
      if (update.transactions.every((tr) => tr.annotation(replaced))) return;
      onChange(update.state.doc.toString());
    }),
  ];
  const view = new EditorView({ parent, state: EditorState.create({ doc, extensions }) });
  view.mockloopEditable = editable;
  return view;
}

function readOnlyExtensions(readOnly) {
  return [EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)];
}

// Replaces the whole text: not an edit (no onChange, no undo step to undo into), since it
// is a reload or a replay.
export function setDoc(view, text) {
  const current = view.state.doc.toString();
  if (current === text) return;
  view.dispatch({
    changes: { from: 0, to: current.length, insert: text },
    annotations: [replaced.of(true), Transaction.addToHistory.of(false)],
  });
}

export function getDoc(view) {
  return view.state.doc.toString();
}

export function setReadOnly(view, readOnly) {
  view.dispatch({ effects: view.mockloopEditable.reconfigure(readOnlyExtensions(readOnly)) });
}

// The view of an editor's DOM (`.cm-editor`), or null: lets tests and the console read the
// whole text, which the page draws only in part (lines far out of view are not drawn).
export function viewOf(dom) {
  return EditorView.findFromDOM(dom);
}
