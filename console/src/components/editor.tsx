/**
 * The code editor: CodeMirror 6 with a per-language highlighter, mounted in a shadow root. In a
 * document CodeMirror styles itself with a <style> element, which the page's `style-src 'self'`
 * (no 'unsafe-inline', no nonce) blocks; in a shadow root it uses a constructed stylesheet
 * (adoptedStyleSheets), which CSP allows. Its DOM is built with createElement/textContent, so Trusted
 * Types never see a string-to-HTML sink. Our page styles cannot reach into the shadow root: the
 * editor's look is the theme below.
 */
import { javascript } from '@codemirror/lang-javascript';
import { python } from '@codemirror/lang-python';
import { Compartment, type Extension } from '@codemirror/state';
import { basicSetup, EditorView } from 'codemirror';
import { useEffect, useRef } from 'preact/hooks';

const theme = EditorView.theme({
  '&': { minHeight: '12rem', maxHeight: '28rem', fontSize: '0.92rem', backgroundColor: '#fff' },
  '.cm-scroller': { fontFamily: 'ui-monospace, "DejaVu Sans Mono", monospace', minHeight: '12rem' },
  '&.cm-focused': { outline: '3px solid #ffb000' },
});

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
  /** Bump to replace the editor's document with `value`; otherwise `value` is only the initial text. */
  reset: number;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const languageSlot = useRef(new Compartment());
  const onChange = useRef(props.onChange);
  onChange.current = props.onChange;
  useEffect(() => {
    if (!host.current) return;
    const root = host.current.shadowRoot ?? host.current.attachShadow({ mode: 'open' });
    const parent = document.createElement('div');
    root.append(parent);
    view.current = new EditorView({
      parent,
      root,
      doc: props.value,
      extensions: [
        basicSetup,
        theme,
        languageSlot.current.of(highlighter(props.language)),
        EditorView.contentAttributes.of({ 'aria-labelledby': props.labelledBy, 'aria-multiline': 'true' }),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) onChange.current(u.state.doc.toString());
        }),
      ],
    });
    return () => {
      view.current?.destroy();
      parent.remove();
    };
  }, []);

  useEffect(() => {
    view.current?.dispatch({ effects: languageSlot.current.reconfigure(highlighter(props.language)) });
  }, [props.language]);

  // Replace the document only when the parent asks (`reset` changes, e.g. a new language's sample).
  // Syncing on every `value` change would fight the editor: a render carrying a value one keystroke
  // old would write it back, the listener would report it, and the two would ping-pong forever.
  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== props.value) {
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: props.value } });
    }
  }, [props.reset]);

  return <div class="editor" ref={host} />;
}
