/**
 * cfn-lint (https://github.com/aws-cloudformation/cfn-lint) over synthesized templates: it reads CloudFormation's own
 * resource schemas (patterns, enums, lengths), so it finds values that synth accepts and CloudFormation rejects. Errors
 * always fail; a warning fails unless test/validators/cfn-lint-allowlist.json lists it with its reason
 * (docs/architecture.md, "Validators").
 */
import { execFile } from 'child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { requirePythonTool } from '../../src/local/python-tools';

/** The Region cfn-lint checks resource types and values against. */
export const CFN_LINT_REGION = 'us-east-1';

/** One template to lint, with a label saying where it comes from (test file, test, stack). */
export interface LintInput {
  readonly label: string;
  readonly template: unknown;
}

export interface Finding {
  readonly label: string;
  readonly rule: string;
  readonly level: string;
  /** Path in the template, e.g. `Resources/MyBucket/Properties/AccessControl`. */
  readonly path: string;
  /** The logical id when the finding is on a resource. */
  readonly resource?: string;
  readonly resourceType?: string;
  readonly message: string;
}

/** One accepted warning: which rule, on which resources, why. */
export interface AllowedWarning {
  readonly rule: string;
  /** The resource type the warning is on (exact). */
  readonly resourceType: string;
  /** A regular expression the logical id must match (whole id); `.*` for any. */
  readonly logicalId: string;
  /** A regular expression the message must match (anywhere). */
  readonly message: string;
  /** Where it applies and why it is accepted, in words. */
  readonly reason: string;
}

const ALLOWLIST_FILE = join(__dirname, 'cfn-lint-allowlist.json');

export function allowlist(): AllowedWarning[] {
  return (JSON.parse(readFileSync(ALLOWLIST_FILE, 'utf8')) as { warnings: AllowedWarning[] }).warnings;
}

/** The allowlist entry that accepts `finding`, if any (warnings only: an error is never accepted). */
export function allowedBy(finding: Finding, list: readonly AllowedWarning[] = allowlist()): AllowedWarning | undefined {
  if (finding.level !== 'Warning') return undefined;
  return list.find((a) => a.rule === finding.rule && a.resourceType === finding.resourceType
    && new RegExp(`^(?:${a.logicalId})$`).test(finding.resource ?? '') && new RegExp(a.message).test(finding.message));
}

/** `true` when cfn-lint runs here; see requirePythonTool for CI (throws) and elsewhere (notice, `false`). */
export function cfnLintAvailable(): boolean {
  return requirePythonTool('cfn-lint', 'the cfn-lint checks of synthesized templates');
}

/**
 * Lints every template in one cfn-lint run (about 2 s to start, plus about 0.3 s per template) and returns all
 * findings, allowlisted or not.
 */
export async function cfnLint(inputs: readonly LintInput[]): Promise<Finding[]> {
  if (inputs.length === 0) return [];
  const dir = mkdtempSync(join(tmpdir(), 'cfn-lint-'));
  const files = inputs.map((input, i) => {
    const file = join(dir, `t${i}.json`);
    writeFileSync(file, JSON.stringify(input.template));
    return file;
  });
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile('cfn-lint', ['-r', CFN_LINT_REGION, '--format', 'json', '--', ...files], { maxBuffer: 64 * 1024 * 1024, timeout: 600_000, env: process.env },
      (err, out, stderr) => {
        // The exit code is a bit mask of the levels found (2 error, 4 warning, 8 info); 1 is a failure of cfn-lint itself.
        if (err && (typeof err.code !== 'number' || err.code % 2 === 1 || !out.trim().startsWith('['))) {
          reject(new Error(`cfn-lint failed: ${err.message}\n${stderr}`));
          return;
        }
        resolve(out);
      });
  });
  const raw = JSON.parse(stdout) as any[];
  return raw.map((f) => {
    const index = files.indexOf(f.Filename);
    const input = inputs[index];
    const segments = (f.Location?.Path ?? []) as (string | number)[];
    const resource = segments[0] === 'Resources' ? String(segments[1]) : undefined;
    const resourceType = resource ? (input?.template as any)?.Resources?.[resource]?.Type : undefined;
    return {
      label: input?.label ?? String(f.Filename),
      rule: String(f.Rule?.Id),
      level: String(f.Level),
      path: segments.join('/'),
      resource,
      resourceType,
      message: String(f.Message),
    };
  });
}

/** The findings as lines a reader can act on: where (label, path, type), the rule and its level, the message. */
export function formatFindings(findings: readonly Finding[]): string {
  return findings.map((f) => `${f.label}\n    ${f.path}${f.resourceType ? ` (${f.resourceType})` : ''}\n    ${f.rule} ${f.level}: ${f.message}`).join('\n');
}

/** The findings no allowlist entry accepts (every error, and the warnings nobody listed). */
export function unacceptedFindings(findings: readonly Finding[]): Finding[] {
  const list = allowlist();
  return findings.filter((f) => !allowedBy(f, list));
}
