// A package of the workspace, linked into node_modules by pnpm.
"use strict";
const bytes = require("bytes");

exports.GREETING = "hello from pnpm";
exports.size = (n) => bytes(n);
