/**
 * A model's reply as text, with its links made clickable only where `safeUrl()` allows (DESIGN.md
 * rule 4): a Markdown link `[label](url)` or a bare `http(s)://…`. Everything else, and every link
 * `safeUrl()` refuses (`javascript:`, `data:`, relative, with credentials…), stays the literal text
 * the model wrote. JSX text nodes only: nothing here is ever parsed as HTML.
 */
import { safeUrl } from '@airlock/protocol/safe-url';
import type { ComponentChildren } from 'preact';

/** `[label](target)` or a bare http(s) URL; bounded, so a long reply costs linear time. */
const LINK = /\[([^\]\n]{1,200})\]\(([^()\s]{1,2048})\)|\bhttps?:\/\/[^\s<>"'`()[\]]{1,2040}/g;

export function linkify(text: string): ComponentChildren[] {
  const parts: ComponentChildren[] = [];
  let at = 0;
  for (const m of text.matchAll(LINK)) {
    const label = m[1];
    const href = safeUrl(m[2] ?? m[0]);
    if (!href) continue;
    if (m.index > at) parts.push(text.slice(at, m.index));
    parts.push(
      <a href={href} rel="noopener noreferrer nofollow" target="_blank" data-model-link="">
        {label ?? m[0]}
      </a>,
    );
    at = m.index + m[0].length;
  }
  if (at < text.length) parts.push(text.slice(at));
  return parts;
}

export function ModelText(props: { text: string; label: string }) {
  return (
    <pre class="output model" role="log" aria-label={props.label}>
      {linkify(props.text)}
    </pre>
  );
}
