// A package of the workspace, linked into node_modules by npm.
"use strict";
const bytes = require("bytes");

exports.GREETING = "hello from npm-workspace";
exports.size = (n) => bytes(n);
