/// <reference lib="dom" />
/**
 * The 21 highlighting grammars on realistic samples, in Chromium: in each, the keywords (and, where the grammar has
 * them, built-in type names), strings, comments and numbers a reader expects are coloured as such (`tok-k`, `tok-s`,
 * `tok-c`, `tok-n`), and plain identifiers are not. Builds the markdown module with Vite; needs /usr/bin/chromium.
 */
import type { Page } from 'playwright-core';
import { describeBrowser } from './fake-backend';
import { openMarkdownPage } from './markdown-module';

interface Sample {
  readonly code: string;
  /** Token texts expected with each class; `plain`: texts that must not be coloured. */
  readonly k?: string[];
  readonly s?: string[];
  readonly c?: string[];
  readonly n?: string[];
  readonly add?: string[];
  readonly del?: string[];
  readonly plain?: string[];
}

const SAMPLES: Record<string, Sample> = {
  js: {
    code: 'import { readFile } from "node:fs/promises";\n// load the config\nexport async function load(path: string): Promise<number> {\n  const text = await readFile(path, \'utf8\');\n  return text.length * 2.5; /* bytes */\n}',
    k: ['import', 'from', 'export', 'async', 'function', 'const', 'await', 'return', 'string', 'number'],
    s: ['"node:fs/promises"', "'utf8'"],
    c: ['// load the config', '/* bytes */'],
    n: ['2.5'],
    plain: ['readFile', 'path', 'text'],
  },
  python: {
    code: 'import json\n\ndef total(items: list) -> int:\n    """Sum the prices."""\n    count = 0  # running\n    for item in items:\n        count += item["price"] * 3\n    return count',
    k: ['import', 'def', 'for', 'in', 'return'],
    s: ['"""Sum the prices."""', '"price"'],
    c: ['# running'],
    n: ['0', '3'],
    plain: ['total', 'count', 'items'],
  },
  shell: {
    code: '#!/bin/bash\n# deploy\nset -euo pipefail\nfor region in us-east-1 eu-west-1; do\n  echo "deploying to $region"\n  aws s3 cp ./dist s3://bucket --region "$region" --quiet\ndone\nexit 0',
    k: ['set', 'for', 'in', 'do', 'echo', 'done', 'exit'],
    s: ['"deploying to $region"'],
    c: ['# deploy'],
    n: ['0'],
    plain: ['aws'],
  },
  go: {
    code: 'package main\n\nimport "fmt"\n\n// Handler answers.\nfunc Handler(n int) (string, error) {\n\tif n > 10 {\n\t\treturn "", fmt.Errorf("too big: %d", n)\n\t}\n\treturn `ok`, nil\n}',
    k: ['package', 'import', 'func', 'int', 'string', 'error', 'if', 'return', 'nil'],
    s: ['"fmt"', '"too big: %d"', '`ok`'],
    c: ['// Handler answers.'],
    n: ['10'],
    plain: ['Handler', 'fmt'],
  },
  rust: {
    code: 'use std::collections::HashMap;\n\n/// Counts words.\nfn count(text: &str) -> HashMap<String, u32> {\n    let mut map = HashMap::new();\n    for word in text.split_whitespace() {\n        *map.entry(word.to_string()).or_insert(0) += 1;\n    }\n    map // done\n}',
    k: ['use', 'fn', 'str', 'u32', 'let', 'mut', 'for', 'in'],
    c: ['/// Counts words.', '// done'],
    n: ['0', '1'],
    plain: ['count', 'map', 'word'],
  },
  java: {
    code: 'package app;\n\npublic final class Greeter {\n  private static final int TIMES = 3;\n  // greets\n  public String greet(String name) {\n    return "Hello, " + name + \'!\';\n  }\n}',
    k: ['package', 'public', 'final', 'class', 'private', 'static', 'int', 'return'],
    s: ['"Hello, "', "'!'"],
    c: ['// greets'],
    n: ['3'],
    plain: ['Greeter', 'greet', 'name'],
  },
  kotlin: {
    code: 'data class User(val name: String, val age: Int)\n\n// adults only\nfun adults(users: List<User>): List<User> =\n    users.filter { it.age >= 18 }.sortedBy { "${it.name}" }',
    k: ['data', 'class', 'val', 'fun'],
    s: ['"${it.name}"'],
    c: ['// adults only'],
    n: ['18'],
    plain: ['adults', 'users'],
  },
  swift: {
    code: 'import Foundation\n\nstruct Point {\n    var x: Double = 0.0\n    let label: String\n}\n\n// distance\nfunc distance(_ p: Point) -> Double {\n    return (p.x * p.x).squareRoot() + 1\n}\nlet s = "origin"',
    k: ['import', 'struct', 'var', 'let', 'func', 'return'],
    s: ['"origin"'],
    c: ['// distance'],
    n: ['0.0', '1'],
    plain: ['distance', 'squareRoot'],
  },
  c: {
    code: '#include <stdio.h>\n\n/* entry point */\nint main(int argc, char **argv) {\n    unsigned long n = 0x1F;\n    printf("%lu args\\n", n + argc); // print\n    return 0;\n}',
    k: ['int', 'char', 'unsigned', 'long', 'return'],
    s: ['"%lu args\\n"'],
    c: ['/* entry point */', '// print'],
    n: ['0x1F', '0'],
    plain: ['main', 'printf', 'argc'],
  },
  csharp: {
    code: 'using System;\n\nnamespace App;\n\npublic class Order\n{\n    // the total\n    public decimal Total { get; init; } = 9.99m;\n    public override string ToString() => $"Order {Total}";\n}',
    k: ['using', 'namespace', 'public', 'class', 'decimal', 'override', 'string'],
    s: ['$"Order {Total}"'],
    c: ['// the total'],
    n: ['9.99m'],
    plain: ['Order', 'Total'],
  },
  php: {
    code: '<?php\n// list users\nfunction users(array $ids): array {\n    $rows = [];\n    foreach ($ids as $id) {\n        $rows[] = "user-" . $id * 2;\n    }\n    return $rows;\n}',
    k: ['function', 'array', 'foreach', 'as', 'return'],
    s: ['"user-"'],
    c: ['// list users'],
    n: ['2'],
    plain: ['users'],
  },
  ruby: {
    code: 'require "json"\n\n# A cart\nclass Cart\n  def initialize(items = [])\n    @items = items\n  end\n\n  def total\n    @items.sum { |i| i[:price] * 1.2 }\n  end\nend',
    k: ['require', 'class', 'def', 'end'],
    s: ['"json"'],
    c: ['# A cart'],
    n: ['1.2'],
    plain: ['Cart', 'total'],
  },
  sql: {
    code: '-- top customers\nSELECT c.name, COUNT(*) AS orders\nFROM customers c\nJOIN orders o ON o.customer_id = c.id\nWHERE o.created_at > \'2026-01-01\'\nGROUP BY c.name\nORDER BY orders DESC\nLIMIT 10;',
    k: ['SELECT', 'COUNT', 'AS', 'FROM', 'JOIN', 'ON', 'WHERE', 'GROUP', 'BY', 'ORDER', 'DESC', 'LIMIT'],
    s: ["'2026-01-01'"],
    c: ['-- top customers'],
    n: ['10'],
    plain: ['customers', 'customer_id'],
  },
  json: {
    code: '{\n  "name": "cdk-bedrock-chat",\n  "version": 3,\n  "private": true,\n  "ratio": 0.75,\n  "tags": ["chat", null]\n}',
    k: ['true', 'null'],
    s: ['"cdk-bedrock-chat"', '"chat"'],
    n: ['3', '0.75'],
  },
  yaml: {
    code: '# service settings\nservice: chat\nreplicas: 3\nenabled: true\nimage: "registry/chat:1.2"\nports:\n  - 8080',
    k: ['service', 'replicas', 'enabled', 'image', 'ports', 'true'],
    s: ['"registry/chat:1.2"'],
    c: ['# service settings'],
    n: ['3', '8080'],
  },
  toml: {
    code: '# build settings\n[package]\nname = "widget"\nversion = 2\noptimize = true\nratio = 1.5',
    k: ['[package]', 'name', 'version', 'optimize', 'true'],
    s: ['"widget"'],
    c: ['# build settings'],
    n: ['2', '1.5'],
  },
  html: {
    code: '<!-- the page -->\n<main class="chat" data-id="7">\n  <a href="https://example.com">Docs</a>\n</main>',
    c: ['<!-- the page -->'],
    s: ['"chat"', '"7"', '"https://example.com"'],
    n: ['class', 'data-id', 'href'],
    plain: ['Docs'],
  },
  css: {
    code: '/* theme */\n@media (min-width: 600px) {\n  .chat > .bubble {\n    color: #336699;\n    margin: 0 auto;\n    font-family: "Inter", sans-serif;\n  }\n}',
    k: ['@media', 'color', 'margin', 'font-family'],
    s: ['"Inter"'],
    c: ['/* theme */'],
    n: ['600px', '0'],
  },
  diff: {
    code: 'diff --git a/app.ts b/app.ts\n@@ -1,3 +1,3 @@\n-const limit = 10;\n+const limit = 20;\n unchanged();',
    add: ['+const limit = 20;'],
    del: ['-const limit = 10;'],
  },
  dockerfile: {
    code: '# runtime image\nFROM node:20-slim\nWORKDIR /app\nCOPY package.json ./\nRUN npm ci --omit=dev\nENV PORT=8080\nCMD ["node", "server.js"]',
    k: ['FROM', 'WORKDIR', 'COPY', 'RUN', 'ENV', 'CMD'],
    s: ['"node"', '"server.js"'],
    c: ['# runtime image'],
  },
  powershell: {
    code: '# list big files\nparam([int]$MinSize = 100)\nGet-ChildItem -Recurse | Where-Object { $_.Length -gt $MinSize * 1024 } | ForEach-Object {\n  Write-Output "big: $($_.Name)"\n}',
    k: ['param'],
    s: ['"big: $($_.Name)"'],
    c: ['# list big files'],
    n: ['100', '1024'],
  },
};


describeBrowser('syntax highlighting of the 21 grammars on realistic samples', () => {
  let page: Page;
  let closePage: () => Promise<void>;

  beforeAll(async () => {
    ({ page, close: closePage } = await openMarkdownPage('grammars'));
  }, 120_000);

  afterAll(async () => {
    await closePage?.();
  });

  test.each(Object.keys(SAMPLES))('%s: keywords, strings, comments and numbers are coloured as a reader expects', async (lang) => {
    const sample = SAMPLES[lang];
    const tokens = await page.evaluate(async ([l, code]) => {
      const m = await import('/markdown.js' as string) as { MarkdownStream: new (root: HTMLElement) => { append(s: string): void; end(): void; settled(): Promise<void> } };
      const root = document.createElement('div');
      const stream = new m.MarkdownStream(root);
      stream.append(`\`\`\`${l}\n${code}\n\`\`\`\n`);
      stream.end();
      await stream.settled();
      const code_ = root.querySelector('code')!;
      return { text: code_.textContent, spans: [...code_.querySelectorAll('span')].map((s) => [s.className.replace('tok-', ''), s.textContent ?? '']) };
    }, [lang, sample.code] as const);
    expect(tokens.text).toBe(sample.code); // highlighting never changes the text
    const got = (kind: string) => tokens.spans.filter(([k]) => k === kind).map(([, t]) => t);
    for (const kind of ['k', 's', 'c', 'n', 'add', 'del'] as const) {
      for (const text of sample[kind] ?? []) expect({ kind, text, found: got(kind).includes(text) }).toEqual({ kind, text, found: true });
    }
    const coloured = new Set(tokens.spans.map(([, t]) => t));
    for (const text of sample.plain ?? []) expect({ text, coloured: coloured.has(text) }).toEqual({ text, coloured: false });
  });
});
