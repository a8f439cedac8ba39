import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import reactHooks from 'eslint-plugin-react-hooks'
import globals from 'globals'

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'test-results/**', 'playwright-report/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.{ts,tsx,mts}'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-console': 'off'
    }
  },
  {
    files: ['electron/**/*.ts', 'shared/**/*.ts', 'test/**/*.ts', 'scripts/**/*.{mjs,js}', 'bin/**/*.cjs', 'scripts/**/*.cjs', '*.mjs', '*.mts'],
    languageOptions: { globals: { ...globals.node } }
  },
  {
    files: ['bin/**/*.cjs', 'scripts/**/*.cjs'],
    rules: { '@typescript-eslint/no-require-imports': 'off' }
  },
  {
    files: ['renderer/**/*.{ts,tsx}', 'test/**/*.tsx'],
    plugins: { 'react-hooks': reactHooks },
    languageOptions: { globals: { ...globals.browser } },
    rules: { ...reactHooks.configs.recommended.rules }
  },
  {
    // A file is a room to read in one sitting, a function a thing to hold in mind at once.
    files: ['electron/**/*.ts', 'renderer/src/**/*.{ts,tsx}'],
    rules: {
      'max-lines': ['error', { max: 600, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 120, skipBlankLines: true, skipComments: true }]
    }
  },
  {
    // The renderer reaches the main process only through window.pixdesk: never Node or Electron.
    files: ['renderer/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['node:*', 'electron', '**/electron/**', 'fs', 'path', 'child_process'] }]
    }
  },
  {
    // The command line runs without Electron.
    files: ['electron/cli/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: ['electron'] }] }
  },
  {
    // Core services run in the app, the CLI and the tests alike: no Electron, and nothing of the layers
    // that present them (the renderer adapter, the main process, the command line).
    files: ['electron/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ['electron'],
          patterns: [{ regex: '^(\\.\\./)+(ipc|main|cli)(/|$)', message: 'electron/core is used by the app, the CLI and the tests: it must not depend on them.' }]
        }
      ]
    }
  },
  {
    // The renderer adapter also serves the browser test harness, where there is no Electron.
    files: ['electron/ipc/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: ['electron'], patterns: [{ regex: '^(\\.\\./)+main(/|$)', message: 'electron/ipc also runs in the browser test harness, without the main process.' }] }
      ]
    }
  }
)
