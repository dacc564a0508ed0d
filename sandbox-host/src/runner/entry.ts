/**
 * The run's entry point and the commands that compile and run it. The entry is the first file (as on
 * Piston), or the runtime's file name when the request sends `code`. A manifest's commands name its
 * default file (`main.py`, `Main.java`, ...); every word equal to that name is replaced by the entry's
 * name, so `python3 -u main.py` becomes `python3 -u app.py` and `gcc ... main.c` compiles `prog.c`.
 *
 * Java also needs its class: javac requires a public class `X` to live in `X.java`, and `java` launches
 * a class, not a file. The entry is renamed after its public class (unless another file already has
 * that name: javac then reports the clash), every .java file is compiled, and the launcher gets the
 * class, package-qualified. A Java entry from mounted files (an archive's `entry`) follows the same
 * rule in its own directory: work-tree.ts moves it, and the commands come from /work as built.
 */
import type { RunRequest, SourceFile } from '@airlock/protocol';
import type { RuntimeManifest } from '../images/manifest.ts';
import { javaMainClass } from './java-class.ts';
import type { WorkEntry } from './work-tree.ts';

export interface RunPlan {
  /** The files to unpack into /work, the entry first. */
  files: SourceFile[];
  /** null when the language compiles nothing. */
  compile: string[] | null;
  run: string[];
}

const replaceWord = (argv: readonly string[], from: string, ...to: string[]): string[] =>
  argv.flatMap((w) => (w === from ? to : [w]));

export function planRun(
  manifest: RuntimeManifest,
  request: RunRequest,
  /** /work as runner/work-tree.ts built it, the entry first; given for runs from mounted files. */
  work?: readonly WorkEntry[],
): RunPlan {
  if (request.entry !== undefined && work !== undefined && manifest.language === 'java') {
    return mountedJavaPlan(manifest, work);
  }
  const files = request.files ?? [{ name: manifest.fileName, content: request.code ?? '' }];
  const [entry, ...rest] = files;
  if (entry === undefined) throw new Error('a run has at least one file (protocol RunRequestSchema)');
  if (manifest.language === 'java') return javaPlan(manifest, entry, rest);
  const name = (argv: readonly string[]) => replaceWord(argv, manifest.fileName, entry.name);
  return { files, compile: manifest.compile ? name(manifest.compile) : null, run: name(manifest.run) };
}

/**
 * Where a Java entry must be for javac: `<its directory>/<PublicType>.java`, unless another file
 * already has that path (javac then reports the clash). Without a public type it keeps its path, or,
 * not being a .java file at all, becomes the runtime's file name.
 */
export function javaEntryPath(
  manifest: RuntimeManifest,
  path: string,
  source: string,
  taken: (path: string) => boolean,
): string {
  const { publicType } = javaMainClass(source);
  const dir = path.slice(0, path.lastIndexOf('/') + 1);
  const wanted =
    publicType !== null ? `${dir}${publicType}.java` : path.endsWith('.java') ? path : manifest.fileName;
  return wanted !== path && taken(wanted) ? path : wanted;
}

function javaPlan(manifest: RuntimeManifest, entry: SourceFile, rest: SourceFile[]): RunPlan {
  const fileName = javaEntryPath(manifest, entry.name, entry.content, (p) => rest.some((f) => f.name === p));
  return {
    files: [{ name: fileName, content: entry.content }, ...rest],
    ...javaCommands(
      manifest,
      fileName,
      entry.content,
      rest.map((f) => f.name),
    ),
  };
}

/** A Java entry from mounted files: work-tree.ts has already put it where javaEntryPath says. */
function mountedJavaPlan(manifest: RuntimeManifest, work: readonly WorkEntry[]): RunPlan {
  const [entry, ...rest] = work.filter((e) => e.type === 'file');
  if (entry === undefined) throw new Error('a run from files has its entry first (runner/work-tree.ts)');
  const source = entry.content.toString('utf8');
  return {
    files: [],
    ...javaCommands(
      manifest,
      entry.path,
      source,
      rest.map((f) => f.path),
    ),
  };
}

/**
 * Every .java file is compiled, like `javac *.java` (the entry first): a class in a package is not
 * found by javac's source path search unless it sits in the package's directory, which flat inline
 * files cannot. The launcher gets the entry's class, package-qualified.
 */
function javaCommands(
  manifest: RuntimeManifest,
  entryPath: string,
  source: string,
  others: readonly string[],
): Pick<RunPlan, 'compile' | 'run'> {
  const defaultClass = manifest.fileName.replace(/\.java$/, '');
  const base = entryPath.slice(entryPath.lastIndexOf('/') + 1);
  const mainClass = javaMainClass(source).launch ?? base.replace(/\.java$/, '');
  return {
    compile: manifest.compile
      ? replaceWord(
          manifest.compile,
          manifest.fileName,
          entryPath,
          ...others.filter((n) => n.endsWith('.java')),
        )
      : null,
    run: replaceWord(manifest.run, defaultClass, mainClass),
  };
}
