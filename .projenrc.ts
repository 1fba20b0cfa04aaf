import { awscdk, DependencyType, javascript } from 'projen';

/** Toolchain pins: projen's components would otherwise ask for "*" or caret ranges. */
const TOOLCHAIN = [
  'jest@30.5.2',
  'ts-jest@29.4.15',
  '@types/jest@30.0.0',
  '@types/node@20.19.43',
  'eslint@9.39.5',
  'jsii-rosetta@6.0.17',
  'jsii-pacmak@1.140.0',
  'jsii-docgen@10.12.6',
  'jsii-diff@1.134.0',
  'ts-node@10.9.2',
  '@stylistic/eslint-plugin@2.8.0',
  '@typescript-eslint/eslint-plugin@8.73.0',
  '@typescript-eslint/parser@8.73.0',
  'eslint-import-resolver-typescript@4.4.5',
  'eslint-plugin-import@2.32.0',
  'jest-junit@17.0.0',
  'commit-and-tag-version@13.2.1',
];

/** Exact versions that work together on Node 20 (see docs/architecture.md, "Toolchain"). */
const V = {
  cdk: '2.260.0',
  constructs: '10.5.1',
  sdk: '3.1169.0',
  sdkS3: '3.1175.0',
  sdkBedrock: '3.1164.0',
  sdkLambda: '3.1164.0',
  // The knowledge base clients: the newest release of each on the same 3.x line (AWS publishes a client only when its
  // model changes, so their numbers differ; npm view @aws-sdk/<client> versions, 2026-12-02).
  sdkBedrockAgent: '3.1138.0',
  sdkBedrockAgentRuntime: '3.1164.0',
  sdkS3Vectors: '3.1137.0',
  smithy: '4.5.2',
};

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-bedrock-chat',
  description: 'Bedrock Chat as reusable AWS CDK constructs: streaming chat on Amazon Bedrock, an embeddable <bedrock-chat> web component, and a local playground.',
  author: 'cdk-bedrock-chat developers',
  authorAddress: 'cdk-bedrock-chat@users.noreply.github.com',
  repositoryUrl: 'https://github.com/cdk-bedrock-chat/cdk-bedrock-chat.git',
  keywords: ['cdk', 'aws-cdk', 'bedrock', 'chat', 'generative-ai', 'web-component', 'lit'],
  license: 'Apache-2.0',
  defaultReleaseBranch: 'main',
  projenVersion: '0.103.25',
  projenrcTs: true,
  github: false,
  release: false,
  packageManager: javascript.NodePackageManager.NPM,
  minNodeVersion: '20.19.0',

  cdkVersion: V.cdk,
  constructsVersion: V.constructs,
  cdkVersionPinning: false,
  jsiiVersion: '~6.0.16',
  typescriptVersion: '6.0.3',

  publishToPypi: { distName: 'cdk-bedrock-chat', module: 'cdk_bedrock_chat' },
  publishToMaven: {
    javaPackage: 'io.github.cdkbedrockchat',
    mavenGroupId: 'io.github.cdk-bedrock-chat',
    mavenArtifactId: 'cdk-bedrock-chat',
  },
  publishToNuget: { dotNetNamespace: 'CdkBedrockChat', packageId: 'CdkBedrockChat' },
  publishToGo: { moduleName: 'github.com/cdk-bedrock-chat/cdk-bedrock-chat-go' },

  lambdaOptions: {
    runtime: awscdk.LambdaRuntime.NODEJS_24_X,
    // Bundle the pinned SDK instead of relying on whatever the runtime ships. The bundle tasks themselves are
    // replaced below (ES module output); no watch tasks, which would still write the old CommonJS index.js.
    bundlingOptions: { externals: [], sourcemap: false, watchTask: false },
    awsSdkConnectionReuse: false,
  },

  // The widget and the playground are not part of the jsii API: Vite and tsx build and run them.
  excludeTypescript: ['src/local/**', 'src/web-components/**'],

  jestOptions: {
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testTimeout: 60_000,
      collectCoverage: false,
      coveragePathIgnorePatterns: ['/node_modules/', '/test/'],
      testPathIgnorePatterns: ['/node_modules/', '/cdk.out/', '/test-out/'],
      // The web components import their TypeScript siblings as `./x.js` (ES module style): tests that import them
      // resolve `./x.js` to `./x.ts`.
      moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
      // Every template a test synthesizes is checked by cfn-lint once per test file (docs/architecture.md, "Validators").
      setupFilesAfterEnv: ['<rootDir>/test/validators/cfn-lint.setup.ts'],
    },
  },
  tsJestOptions: {},

  devDeps: [
    // runtime code bundled into the Lambda assets, the emulators and the web components
    `@aws-sdk/client-dynamodb@${V.sdk}`,
    `@aws-sdk/lib-dynamodb@${V.sdk}`,
    // stream records (DynamoDB JSON) into plain objects: the bot deletion pipe's cleanup
    '@aws-sdk/util-dynamodb@3.996.9',
    `@aws-sdk/client-apigatewaymanagementapi@${V.sdk}`,
    `@aws-sdk/s3-request-presigner@${V.sdk}`,
    `@aws-sdk/client-s3@${V.sdkS3}`,
    `@aws-sdk/client-bedrock-runtime@${V.sdkBedrock}`,
    `@aws-sdk/client-lambda@${V.sdkLambda}`,
    `@aws-sdk/client-cognito-identity-provider@${V.sdk}`,
    `@aws-sdk/client-bedrock-agent@${V.sdkBedrockAgent}`,
    `@aws-sdk/client-bedrock-agent-runtime@${V.sdkBedrockAgentRuntime}`,
    `@aws-sdk/client-s3vectors@${V.sdkS3Vectors}`,
    // guardrails a bot defines (control plane) and the local pipe's reads of a table's stream
    `@aws-sdk/client-bedrock@${V.sdkBedrock}`,
    '@aws-sdk/client-dynamodb-streams@3.1141.0',
    // the small Cognito client (src/lambdas/wiring/cognito-client.ts): the SDK's own signer and credential chain, the
    // versions its clients already use
    '@smithy/signature-v4@5.7.5',
    '@aws-sdk/credential-provider-node@3.972.98',
    `@smithy/eventstream-codec@${V.smithy}`,
    `@smithy/util-utf8@${V.smithy}`,
    '@types/aws-lambda@8.10.164',
    'aws-jwt-verify@5.2.1',
    'dynalite@4.0.0',
    's3rver@3.7.1',
    '@types/s3rver@3.7.4',
    'ws@8.23.0',
    '@types/ws@8.18.2',
    'lit@3.3.3',
    '@lit/localize@0.12.2',
    // the app's asynchronous loading (bots, store, editor): a reactive controller with pending/complete/error
    '@lit/task@1.0.3',
    '@lit/localize-tools@0.8.2',
    // LaTeX to MathML for the widget's optional math (a lazily loaded chunk; MIT)
    'temml@0.13.5',
    // diagrams in ```mermaid blocks, rendered only inside the sandboxed mermaid frame (its own lazy page; MIT)
    'mermaid@12.3.0',
    '@custom-elements-manifest/analyzer@0.11.0',
    // bench only: the widget's render time is compared with deep-chat's in the same browser run
    'deep-chat@2.4.2',
    'vite@8.3.8',
    'playwright-core@1.65.1',
    'axe-core@4.14.1',
    'fast-check@4.10.2',
    // the local knowledge base (docs/architecture.md, "The local knowledge base"): PDF text (unpdf: pdf.js's
    // serverless build), DOCX text (mammoth), HTML text (htmlparser2 10: 11+ ship only ES modules, which ts-jest's CommonJS cannot load), lexical retrieval (minisearch); jszip writes
    // the DOCX fixtures of the tests (mammoth reads DOCX with it)
    'unpdf@1.8.1',
    'mammoth@1.13.0',
    'htmlparser2@10.1.0',
    'minisearch@7.2.0',
    'jszip@3.10.2',
    // the CommonMark 0.31.2 spec examples (markdown conformance test) and the parser the widget's markdown uses
    // the local stack runs state machines from their synthesized definition (docs/architecture.md, "Bulk knowledge
    // sync"); 3.0.0 (the only release) declares Node >= 22 but needs only Promise.withResolvers, which the local
    // stack supplies on Node 20 (src/local/emulators/step-functions.ts)
    'aws-local-stepfunctions@3.0.0',
    'commonmark-spec@0.31.2',
    'commonmark@0.31.2',
    'tsx@4.23.15',
    'cdk-nag@3.0.2',
    // validators nobody here wrote (docs/architecture.md, "Validators"): the OpenAPI document's external check
    '@apidevtools/swagger-parser@13.1.0',
    'aws-cdk@2.1148.1',
    'esbuild@0.28.2',
  ],
  gitignore: ['/cdk.out', '/test-out', '/.playground', 'test/**/cdk.out', 'examples/**/cdk.out', '/assets/'],
  npmignoreEnabled: true,
});

for (const spec of TOOLCHAIN) {
  const name = spec.slice(0, spec.lastIndexOf('@'));
  project.deps.removeDependency(name);
  project.deps.addDependency(spec, DependencyType.BUILD);
}

// Each Lambda bundle is a minified ES module, assets/lambdas/<name>.lambda/index.mjs, built by
// scripts/bundle-lambda.mjs (esbuild's API: ESM output with the SDK's module builds, two credential-chain stand-ins
// and two tree-shaking plugins, each explained there). projen's LambdaFunction passes only externals / sourcemap /
// watchTask to its esbuild command, so the task is replaced; the generated *-function.ts files are unchanged: they
// point at the directory, and the handler `index.handler` resolves to index.mjs
// (https://docs.aws.amazon.com/lambda/latest/dg/nodejs-handler.html#nodejs-commonjs-es-modules).
for (const task of project.tasks.all) {
  const m = /^bundle:(lambdas\/.+\.lambda)$/.exec(task.name);
  if (m) task.reset(`node scripts/bundle-lambda.mjs src/${m[1]}.ts assets/${m[1]}`);
}

// The web components: Vite builds them into assets/web as part of the bundle step.
// Translations (@lit/localize): `npx projen i18n` runs `extract` (adds new msg() strings to
// src/web-components/xliff/<locale>.xlf, keeping the translations) and `build` (generates
// src/web-components/generated/locales/*.ts). The web build runs only `build`, which reads the XLIFF files;
// test/web-components/i18n.test.ts fails when a string is missing from them or a translation is missing.
project.addTask('i18n', {
  description: 'Extract the widget strings into the XLIFF files and generate the locale modules',
  steps: [{ exec: 'lit-localize extract' }, { exec: 'lit-localize build' }],
});
const i18nBuild = project.addTask('i18n:build', {
  description: 'Generate the locale modules from the XLIFF files',
  exec: 'lit-localize build',
});
const bundleWeb = project.addTask('bundle:web', {
  description: 'Build the <bedrock-chat> web component and the app with Vite into assets/web',
  exec: 'vite build --config src/web-components/vite.config.mts --logLevel warn',
});
// The custom elements manifest (custom-elements.json) describes the elements' attributes, properties, events, parts
// and CSS custom properties for IDEs and documentation tools; it ships with the web bundle.
bundleWeb.prependSpawn(i18nBuild);
bundleWeb.exec('cem analyze --litelement --quiet --globs "src/web-components/**/*.ts" --exclude "src/web-components/vite.config.mts" --exclude "src/web-components/generated/**" --outdir assets/web');
project.tasks.tryFind('bundle')?.spawn(bundleWeb);

// `cdk-bedrock-chat local`: the local stack for a user's own app. esbuild bundles the command with the emulators
// (dynalite, s3rver, ws and the SDK clients are devDependencies) into assets/cli, shipped in the package with the
// playground pages; package.json declares it as the package's `bin`.
const bundleCli = project.addTask('bundle:cli', {
  description: 'Bundle the `cdk-bedrock-chat local` command with its emulators into assets/cli',
  exec: 'node scripts/bundle-cli.js',
});
project.tasks.tryFind('bundle')?.spawn(bundleCli);
project.addBins({ 'cdk-bedrock-chat': 'assets/cli/cli.js' });

// Local playground: the local stack runs the handler bundles and the web build from assets/ as the synthesized
// template deploys them (examples/full-system, synthesized in-process), so it builds them first.
project.addTask('start', {
  description: 'Run examples/full-system as a local stack read from its template (emulated DynamoDB, S3, Lambda, API Gateway, Cognito, Bedrock) and print its URL',
  steps: [{ spawn: 'bundle' }, { exec: 'tsx src/local/main.ts' }],
});

// The store's over-the-wire tests a second time, with moto_server as DynamoDB (docs/architecture.md, "Validators"):
// required in CI, skipped with a notice where moto is not installed (`pip install 'moto[server]'`).
const testMoto = project.addTask('test:moto', {
  description: 'Run the store tests against moto_server instead of dynalite',
  exec: 'tsx test/validators/store-on-moto.ts',
  receiveArgs: true,
});
project.testTask.spawn(testMoto);

project.addTask('bench', {
  description: 'Run the benchmarks and write bench/results/latest.json',
  exec: 'tsx bench/run.ts',
});

// jsii targets: locally generate code only (no PyPI, Maven, NuGet or Go toolchains offline),
// then prove the bindings carry the current API.
for (const lang of ['python', 'java', 'dotnet', 'go']) {
  project.tasks.tryFind(`package:${lang}`)?.reset(`jsii-pacmak -v --code-only --target ${lang}`);
}
const pkg = project.tasks.tryFind('package')!;
pkg.reset();
pkg.spawn(project.tasks.tryFind('package-all')!);
pkg.exec('node scripts/check-bindings.js');

// Quiet the Node 20 end-of-life notices of jsii and the AWS SDK; no CDK CLI telemetry or notices.
project.tasks.addEnvironment('JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION', '20');
project.tasks.addEnvironment('AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED', 'true');
project.tasks.addEnvironment('CDK_DISABLE_CLI_TELEMETRY', 'true');

// Handler code, emulators, playground and widget are bundled (or run locally): their packages are devDependencies.
project.eslint?.addOverride({
  files: ['src/lambdas/**', 'src/local/**', 'src/web-components/**', 'bench/**', 'examples/**'],
  rules: { 'import/no-extraneous-dependencies': ['error', { devDependencies: true, optionalDependencies: false, peerDependencies: true }] },
});

project.eslint?.addLintPattern('bench');
// Generated by lit-localize from the XLIFF files.
project.eslint?.addIgnorePattern('src/web-components/generated/');

project.addFields({
  customElements: 'assets/web/custom-elements.json',
  allowScripts: { esbuild: true },
});
project.tsconfigDev.addInclude('examples/**/*.ts');
project.tsconfigDev.addInclude('bench/**/*.ts');

project.synth();
