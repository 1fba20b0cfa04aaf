/**
 * `cdk-bedrock-chat local`: runs a CDK app that composes the constructs as a local stack, read from its synthesized
 * template (see the README, "Local playground").
 *
 *   npx cdk-bedrock-chat local --app "npx tsx app.ts"   run the app command (default: cdk.json's "app")
 *   npx cdk-bedrock-chat local --assembly cdk.out       an already synthesized cloud assembly
 *   options: --port 8080, --stack <name> (repeatable), --bedrock aws, --quiet, --no-playground-page
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CloudAssembly, readAssembly, synthesizeCommand } from './stack/assembly';
import { chatStacks, LocalStack, startLocalStack } from './stack/local-stack';
import { startupMessage } from './startup';

export interface CliOptions {
  app?: string;
  assembly?: string;
  port: number;
  stacks: string[];
  bedrock: 'offline' | 'aws';
  quiet: boolean;
  playgroundPages: boolean;
}

const USAGE = `Usage: cdk-bedrock-chat local [--app "<command>"] [--assembly <cdk.out>] [--port <n>] [--stack <name>]... [--bedrock aws] [--quiet] [--no-playground-page]

Synthesizes your CDK app (the --app command, or "app" of ./cdk.json) and runs the stack(s) holding a ChatBackend on
this machine: DynamoDB, S3, Lambda, API Gateway, the Cognito managed login and the site, as the template says.`;

export function parseArgs(argv: readonly string[]): CliOptions {
  const [command, ...rest] = argv;
  if (command !== 'local') throw new UsageError(command === undefined || command === '--help' || command === '-h' ? USAGE : `Unknown command ${command}.\n\n${USAGE}`);
  const options: CliOptions = { port: Number(process.env.PORT ?? 8080), stacks: [], bedrock: 'offline', quiet: false, playgroundPages: true };
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const value = () => {
      const v = rest[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value.\n\n${USAGE}`);
      return v;
    };
    switch (arg) {
      case '--app': case '-a': options.app = value(); break;
      case '--assembly': case '-o': options.assembly = value(); break;
      case '--port': case '-p': {
        const port = Number(value());
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be a port number (0 for any).');
        options.port = port;
        break;
      }
      case '--stack': case '-s': options.stacks.push(value()); break;
      case '--bedrock': {
        const v = value();
        if (v !== 'aws' && v !== 'offline') throw new UsageError('--bedrock is aws or offline.');
        options.bedrock = v;
        break;
      }
      case '--quiet': case '-q': options.quiet = true; break;
      case '--no-playground-page': options.playgroundPages = false; break;
      case '--help': case '-h': throw new UsageError(USAGE);
      default: throw new UsageError(`Unknown option ${arg}.\n\n${USAGE}`);
    }
  }
  return options;
}

export class UsageError extends Error {}

/** Synthesizes (or reads) the assembly and starts the local stack of its ChatBackend stacks. */
export async function runLocal(options: CliOptions, cwd = process.cwd()): Promise<LocalStack> {
  let assembly: CloudAssembly;
  if (options.assembly) {
    assembly = readAssembly(resolve(cwd, options.assembly));
  } else {
    const cdkJson = resolve(cwd, 'cdk.json');
    const config = existsSync(cdkJson) ? JSON.parse(readFileSync(cdkJson, 'utf8')) as { app?: string; context?: Record<string, unknown> } : {};
    const app = options.app ?? config.app;
    if (!app) throw new UsageError(`No app to run: pass --app "<command>" (for example --app "npx tsx app.ts") or run where a cdk.json names one.\n\n${USAGE}`);
    assembly = await synthesizeCommand(app, { cwd, context: config.context, quiet: options.quiet });
  }
  const stacks = options.stacks.length > 0 ? options.stacks : chatStacks(assembly);
  let port = options.port;
  for (;;) {
    try {
      const { bedrock, quiet, playgroundPages } = options;
      return await startLocalStack({ assembly, stacks, port, bedrock, quiet, playgroundPages });
    } catch (err) {
      // The default port is taken: any port will do (a port asked for explicitly is not changed).
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port === 0 || process.argv.includes('--port') || process.env.PORT) throw err;
      port = 0;
    }
  }
}

async function main(): Promise<void> {
  // The emulators' SDK clients run on this Node.js; the SDK's notice about Node 20 says nothing about the app.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  let options: CliOptions;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error((err as Error).message);
    process.exit(err instanceof UsageError && /^Usage/.test((err as Error).message) ? 0 : 2);
  }
  if (options.bedrock === 'aws' && !process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_PROFILE) {
    console.error('--bedrock aws needs AWS credentials (AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY).');
    process.exit(2);
  }
  let stack: LocalStack;
  try {
    stack = await runLocal(options);
  } catch (err) {
    console.error(`cdk-bedrock-chat local: ${(err as Error).message}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  }
  console.log(startupMessage(stack, [`models: the template's (${options.bedrock === 'aws' ? 'Amazon Bedrock' : 'answered by the offline model'})`]));
  const stop = async () => {
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (require.main === module) void main();
