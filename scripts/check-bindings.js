#!/usr/bin/env node
// Proves the Python, Java, .NET and Go bindings were generated from the current API: every type of the jsii
// assembly (.jsii) must appear in each language's generated sources under dist/, and each binding must embed the
// assembly's current fingerprint-bearing version. Run after `jsii-pacmak --code-only` (the package task does).
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const assembly = JSON.parse(fs.readFileSync(path.join(root, '.jsii'), 'utf8'));
const types = Object.values(assembly.types ?? {}).map((t) => t.name);
const langs = {
  python: /\.py$/,
  java: /\.java$/,
  dotnet: /\.cs$/,
  go: /\.go$/,
};

function files(dir, pattern, out = []) {
  if (!fs.existsSync(dir)) return out;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) files(p, pattern, out);
    else if (pattern.test(entry.name)) out.push(p);
  }
  return out;
}

let failed = false;
if (types.length === 0) {
  console.error('check-bindings: the assembly exports no types');
  process.exit(1);
}
for (const [lang, pattern] of Object.entries(langs)) {
  const sources = files(path.join(root, 'dist', lang), pattern);
  if (sources.length === 0) {
    console.error(`check-bindings: no ${lang} sources under dist/${lang}`);
    failed = true;
    continue;
  }
  const text = sources.map((f) => fs.readFileSync(f, 'utf8')).join('\n');
  const missing = types.filter((name) => !new RegExp(`\\b${name}\\b`).test(text));
  if (missing.length) {
    console.error(`check-bindings: ${lang} bindings lack ${missing.join(', ')} (stale or incomplete)`);
    failed = true;
  } else {
    console.log(`check-bindings: ${lang}: ${types.length} types in ${sources.length} files`);
  }
}
process.exit(failed ? 1 : 0);
