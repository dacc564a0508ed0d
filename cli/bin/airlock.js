#!/usr/bin/env node
// The CLI runs its TypeScript sources directly: Node 22.18+ strips the types itself.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(
    `airlock: needs Node.js 22.18 or newer (this is ${process.versions.node}); ` +
      'run it with `npx airlock` from the repository, which uses the Node 22 it installs\n',
  );
  process.exit(69);
}
const { main } = await import('../src/main.ts');
const code = await main(process.argv.slice(2));
// Exit as soon as the work is done and the output flushed: a closing WebSocket or an idle keep-alive
// connection must not hold the terminal for seconds after the program's result is known.
await Promise.all(
  [process.stdout, process.stderr].map((s) => new Promise((resolve) => s.write('', resolve))),
);
process.exit(code);
