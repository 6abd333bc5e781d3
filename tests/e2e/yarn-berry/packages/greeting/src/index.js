// A package of the workspace, linked into node_modules by Yarn.
"use strict";
const bytes = require("bytes");

exports.GREETING = "hello from yarn-berry";
exports.size = (n) => bytes(n);
