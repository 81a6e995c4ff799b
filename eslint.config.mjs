// Lint errors, not warnings. The domain library stays pure: no framework, database, broker or image imports.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import webConsole from './eslint.web.mjs';

// The layers (docs/architecture.md): each lib imports only the libs below it; apps import only the runtime.
// The domain is an allowlist: its own files, zod, yaml, turf geometry, node:crypto (hashes) and fast-check in specs.
const LAYERS = {
  domain: [],
  config: ['domain'],
  messaging: ['domain'],
  imagery: ['domain'],
  documents: ['imagery', 'domain'],
  persistence: ['config', 'domain'],
  core: ['persistence', 'messaging', 'documents', 'imagery', 'config', 'domain'],
  ingest: ['core', 'persistence', 'messaging', 'documents', 'imagery', 'config', 'domain'],
  http: ['ingest', 'core', 'imagery', 'config', 'domain'],
  runtime: ['http', 'ingest', 'core', 'persistence', 'messaging', 'documents', 'imagery', 'config', 'domain'],
};
const LIBS = Object.keys(LAYERS);
// Specs beside the code may also use the shared fixtures (@test/fixtures); shipped code never.
const layerRules = (lib) => {
  const forbidden = LIBS.filter((other) => other !== lib && !LAYERS[lib].includes(other));
  const patterns = (spec) => {
    const list = [{ regex: String.raw`(^|/)libs/`, message: 'import another lib by its @app/<lib> name, never by a path into libs/' }];
    if (forbidden.length)
      list.push({
        regex: `^@app/(${forbidden.join('|')})(/|$)`,
        message: `libs/${lib} may import only ${LAYERS[lib].map((l) => '@app/' + l).join(', ') || 'itself'} (docs/architecture.md)`,
      });
    if (!spec) list.push({ regex: '^@test/', message: 'test fixtures are for specs and tests only' });
    if (lib === 'domain') {
      list.push({
        regex: String.raw`^(?!(\.{1,2}/|@app/domain(/|$)|zod$|yaml$|@turf/|node:crypto$${spec ? '|fast-check$|@test/' : ''}))`,
        message: 'libs/domain is pure: only its own files, zod, yaml, turf, node:crypto (no framework, database, broker, file or image imports)',
      });
    }
    return list;
  };
  return [
    { files: [`libs/${lib}/**/*.ts`], ignores: ['**/*.spec.ts'], rules: { 'no-restricted-imports': ['error', { patterns: patterns(false) }] } },
    { files: [`libs/${lib}/**/*.spec.ts`], rules: { 'no-restricted-imports': ['error', { patterns: patterns(true) }] } },
  ];
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'data/**', '**/*.js', '!web/**/*.js', '**/*.mjs', 'bench/results/**', 'test-artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unsafe-enum-comparison': 'off',
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      'no-restricted-syntax': [
        'error',
        { selector: "MemberExpression[object.name='process'][property.name='env']", message: 'process.env is read in libs/config/src/env.ts only' },
      ],
    },
  },
  ...LIBS.flatMap(layerRules),
  {
    files: ['apps/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: String.raw`^(?!(reflect-metadata$|@app/runtime$))`,
              message: 'an app main only starts the runtime with its mode (libs/runtime assembles the process)',
            },
          ],
        },
      ],
    },
  },
  ...webConsole,
  { files: ['libs/config/src/env.ts', 'test/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts'], rules: { 'no-restricted-syntax': 'off' } },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
