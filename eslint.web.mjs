// The console's lint settings (web/**/*.js: browser ES modules, no build step); spread into eslint.config.mjs.
// The recommended JavaScript rules, browser globals, and the type-aware rules that catch a promise nobody waits
// for, with types from web/tsconfig.json (allowJs, checkJs). The other type-aware rules of the TypeScript sources
// (no-unsafe-*) are off here: the console reads the server's JSON as it comes, and tsc -p web/tsconfig.json checks it.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const files = ['web/**/*.js'];

export default [
  { ...tseslint.configs.disableTypeChecked, files },
  {
    files,
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: 'module',
      globals: globals.browser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      ...js.configs.recommended.rules,
      '@typescript-eslint/no-floating-promises': 'error',
      // Event handlers may be async (a listener's answer is ignored); a promise in a condition is still a mistake.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
];
