/** The app version, injected from package.json at build time (see electron.vite.config.ts / vitest.config.ts). */
declare const __TAGTUNE_VERSION__: string
export const APP_VERSION: string = typeof __TAGTUNE_VERSION__ === 'string' ? __TAGTUNE_VERSION__ : '0.0.0-dev'
