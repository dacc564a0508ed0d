/**
 * The run's entry point and the commands that compile and run it. The entry is the first file (as on
 * Piston), or the runtime's file name when the request sends `code`. A manifest's commands name its
 * default file (`main.py`, `Main.java`, ...); every word equal to that name is replaced by the entry's
 * name, so `python3 -u main.py` becomes `python3 -u app.py` and `gcc ... main.c` compiles `prog.c`.
 *
 * Java also needs its class: javac requires a public class `X` to live in `X.java`, and `java` launches
 * a class, not a file. The entry is renamed after its public class (unless another file already has
 * that name: javac then reports the clash), every .java file is compiled, and the launcher gets the
 * class, package-qualified.
 */
import type { RunRequest, SourceFile } from '@airlock/protocol';
import type { RuntimeManifest } from '../images/manifest.ts';
import { javaMainClass } from './java-class.ts';

export interface RunPlan {
  /** The files to unpack into /work, the entry first. */
  files: SourceFile[];
  /** null when the language compiles nothing. */
  compile: string[] | null;
  run: string[];
}

const replaceWord = (argv: readonly string[], from: string, ...to: string[]): string[] =>
  argv.flatMap((w) => (w === from ? to : [w]));

export function planRun(manifest: RuntimeManifest, request: RunRequest): RunPlan {
  const files = request.files ?? [{ name: manifest.fileName, content: request.code ?? '' }];
  const [entry, ...rest] = files;
  if (entry === undefined) throw new Error('a run has at least one file (protocol RunRequestSchema)');
  if (manifest.language === 'java') return javaPlan(manifest, entry, rest);
  const name = (argv: readonly string[]) => replaceWord(argv, manifest.fileName, entry.name);
  return { files, compile: manifest.compile ? name(manifest.compile) : null, run: name(manifest.run) };
}

function javaPlan(manifest: RuntimeManifest, entry: SourceFile, rest: SourceFile[]): RunPlan {
  const { publicType, launch } = javaMainClass(entry.content);
  const wanted = publicType === null ? entry.name : `${publicType}.java`;
  const fileName = rest.some((f) => f.name === wanted) ? entry.name : wanted;
  const defaultClass = manifest.fileName.replace(/\.java$/, '');
  const mainClass = launch ?? fileName.replace(/\.java$/, '');
  return {
    files: [{ name: fileName, content: entry.content }, ...rest],
    // every .java file, like `javac *.java`: a class in a package is not found by javac's source path
    // search unless it sits in the package's directory, which flat inline files cannot
    compile: manifest.compile
      ? replaceWord(
          manifest.compile,
          manifest.fileName,
          fileName,
          ...rest.filter((f) => f.name.endsWith('.java')).map((f) => f.name),
        )
      : null,
    run: replaceWord(manifest.run, defaultClass, mainClass),
  };
}
