/** This package's version (the `version` of its package.json, which a test keeps them equal to). */
export const VERSION = "0.1.0";
