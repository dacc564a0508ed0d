import { extname } from 'node:path';

/** The language of a source file from its extension (the runtimes' ids, GET /v1/runtimes). */
const BY_EXTENSION: Readonly<Record<string, string>> = {
  '.py': 'python',
  '.js': 'javascript',
  '.mjs': 'javascript',
  '.cjs': 'javascript',
  '.ts': 'typescript',
  '.sh': 'bash',
  '.bash': 'bash',
  '.c': 'c',
  '.cc': 'cpp',
  '.cpp': 'cpp',
  '.cxx': 'cpp',
  '.go': 'go',
  '.rs': 'rust',
  '.java': 'java',
  '.rb': 'ruby',
  '.php': 'php',
  '.lua': 'lua',
};

export function languageOf(file: string): string | undefined {
  return BY_EXTENSION[extname(file).toLowerCase()];
}

export const KNOWN_EXTENSIONS = Object.keys(BY_EXTENSION);
