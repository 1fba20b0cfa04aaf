// Bundles the `cdk-bedrock-chat local` command (src/local/cli.ts) with its dependencies (the emulators: dynalite,
// s3rver, ws, the AWS SDK clients) into assets/cli/cli.js, and copies the playground pages next to it, so that the
// command runs from the installed package, whose dependencies do not include them.
const { cpSync, readFileSync, rmSync } = require('fs');
const { join } = require('path');
const esbuild = require('esbuild');

const root = join(__dirname, '..');
const out = join(root, 'assets', 'cli');

/** dynalite requires its actions as `'./actions/' + name`: with the extension, esbuild bundles every file of the folder. */
const dynaliteActions = {
  name: 'dynalite-actions',
  setup(build) {
    build.onLoad({ filter: /dynalite[/\\]index\.js$/ }, (args) => ({
      contents: readFileSync(args.path, 'utf8')
        .replace("require('./actions/' + action)", "require('./actions/' + action + '.js')")
        .replace("require('./validations/' + action)", "require('./validations/' + action + '.js')"),
      loader: 'js',
    }));
  },
};

rmSync(out, { recursive: true, force: true });
esbuild.build({
  entryPoints: [join(root, 'src', 'local', 'cli.ts')],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile: join(out, 'cli.js'),
  banner: { js: '#!/usr/bin/env node' },
  minify: true,
  legalComments: 'none',
  logLevel: 'warning',
  // `level` (tables on disk) loads a native addon; the local stack keeps its tables in memory.
  alias: { level: join(root, 'src', 'local', 'stubs', 'level.ts') },
  plugins: [dynaliteActions],
}).then(() => {
  cpSync(join(root, 'src', 'local', 'public'), join(out, 'public'), { recursive: true });
  // The local knowledge base parses PDF and DOCX in a child process that requires the parsers by path
  // (src/local/emulators/kb-parse.ts): they are bundled beside the command, as assets/cli/parsers/<name>.js.
  return esbuild.build({
    entryPoints: { unpdf: require.resolve('unpdf'), mammoth: require.resolve('mammoth') },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outdir: join(out, 'parsers'),
    minify: true,
    legalComments: 'none',
    logLevel: 'warning',
  });
}).catch(() => process.exit(1));
