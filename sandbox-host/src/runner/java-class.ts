/**
 * Finds the class a Java source file declares for `java` to launch, without running anything: javac
 * insists that a public top-level type lives in `<Name>.java`, and the launcher needs the class name
 * (package-qualified). A small lexer blanks comments, string and character literals and text blocks,
 * and keeps only what stands at brace depth 0, so `/* public class X *\/`, `"class Y"` and nested
 * classes are never taken for the file's top-level declaration. Linear in the source's length.
 *
 * Only names that are safe as a file name and a command word are returned ([A-Za-z_][A-Za-z0-9_]*);
 * anything else (Unicode or `$` identifiers) yields null and the file keeps its name.
 */

export interface JavaMainClass {
  /** The simple name of the public top-level type, when there is one: the file must be `<name>.java`. */
  publicType: string | null;
  /** What `java` launches: the public type, else the first top-level class; package-qualified. */
  launch: string | null;
}

const NAME = '[A-Za-z_][A-Za-z0-9_]{0,58}';
const SAFE_NAME = new RegExp(`^${NAME}$`);
const KEYWORDS = new Set(['class', 'interface', 'enum', 'record', 'extends', 'implements', 'permits']);
const MODIFIERS = '(?:(?:final|abstract|sealed|non-sealed|strictfp|static)\\s+)*';
const PUBLIC_TYPE = new RegExp(
  `(?:^|[\\s;})])public\\s+${MODIFIERS}(?:class|interface|enum|record|@\\s*interface)\\s+([^\\s{<(]+)`,
);
const ANY_CLASS = /(?:^|[\s;})])(?:class|enum|record)\s+([^\s{<(]+)/;
const PACKAGE = /^\s*package\s+([A-Za-z_][A-Za-z0-9_]*(?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)*)\s*;/;

/** The source with comments and literals blanked and everything inside braces dropped. */
export function topLevelText(source: string): string {
  const out: string[] = [];
  let depth = 0;
  let i = 0;
  const n = source.length;
  const skipTo = (end: string, from: number, escapes: boolean): number => {
    let j = from;
    while (j < n) {
      if (escapes && source[j] === '\\') j += 2;
      else if (source.startsWith(end, j)) return j + end.length;
      else j++;
    }
    return n;
  };
  while (i < n) {
    const ch = source[i] as string;
    if (source.startsWith('//', i)) i = skipTo('\n', i + 2, false);
    else if (source.startsWith('/*', i)) i = skipTo('*/', i + 2, false);
    else if (source.startsWith('"""', i)) i = skipTo('"""', i + 3, true);
    else if (ch === '"' || ch === "'") i = skipTo(ch, i + 1, true);
    else {
      if (ch === '{') depth++;
      else if (ch === '}') depth = Math.max(0, depth - 1);
      else if (depth === 0) out.push(ch);
      i++;
      continue;
    }
    // a blanked comment or literal still separates tokens
    if (depth === 0) out.push(' ');
  }
  return out.join('');
}

export function javaMainClass(source: string): JavaMainClass {
  const text = topLevelText(source);
  const safe = (name: string | undefined) =>
    name !== undefined && SAFE_NAME.test(name) && !KEYWORDS.has(name) ? name : null;
  const publicType = safe(PUBLIC_TYPE.exec(text)?.[1]);
  const main = publicType ?? safe(ANY_CLASS.exec(text)?.[1]);
  const pkg = PACKAGE.exec(text)?.[1]?.replace(/\s+/g, '');
  return { publicType, launch: main === null ? null : pkg ? `${pkg}.${main}` : main };
}
