/**
 * The code editor: CodeMirror 6 with a per-language highlighter. CodeMirror styles itself through
 * constructable stylesheets (adoptedStyleSheets), which the strict `style-src 'self'` allows, and
 * builds its DOM with createElement/textContent, so Trusted Types never see a string-to-HTML sink.
 */
import { javascript } from '@codemirror/lang-javascript';
import { python } from '@codemirror/lang-python';
import { Compartment, type Extension } from '@codemirror/state';
import { basicSetup, EditorView } from 'codemirror';
import { useEffect, useRef } from 'preact/hooks';

function highlighter(language: string): Extension {
  if (language === 'python') return python();
  if (language === 'javascript' || language === 'node') return javascript();
  if (language === 'typescript') return javascript({ typescript: true });
  return [];
}

export function CodeEditor(props: {
  language: string;
  value: string;
  onChange: (value: string) => void;
  labelledBy: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const languageSlot = useRef(new Compartment());
  const onChange = useRef(props.onChange);
  onChange.current = props.onChange;
  useEffect(() => {
    if (!host.current) return;
    view.current = new EditorView({
      parent: host.current,
      doc: props.value,
      extensions: [
        basicSetup,
        languageSlot.current.of(highlighter(props.language)),
        EditorView.contentAttributes.of({ 'aria-labelledby': props.labelledBy, 'aria-multiline': 'true' }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) onChange.current(u.state.doc.toString());
        }),
      ],
    });
    return () => view.current?.destroy();
  }, []);

  useEffect(() => {
    view.current?.dispatch({ effects: languageSlot.current.reconfigure(highlighter(props.language)) });
  }, [props.language]);

  // Replace the document when the parent swaps it (a new language's sample), not on every keystroke.
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== props.value) {
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: props.value } });
    }
  }, [props.value]);

  return <div class="editor" ref={host} />;
}
