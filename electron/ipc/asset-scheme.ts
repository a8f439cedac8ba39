/**
 * The URL scheme the desktop app serves images on (thumbnails, originals, outputs); the browser test
 * harness mounts the same handler on http instead. Named once for the IPC layer and the page's policy.
 */
export const APP_ASSET_SCHEME = 'pixdesk-asset'
