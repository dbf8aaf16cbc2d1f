// Placeholder replaced by the kubefed-compatible CLI (issue 5).
console.error('kubefed CLI: not yet available');
process.exit(1);
