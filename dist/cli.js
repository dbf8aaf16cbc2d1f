#!/usr/bin/env node
var e={};console.error("kubefed CLI: not yet available");process.exit(1);