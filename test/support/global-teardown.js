const fs = require('node:fs');

/** Removes the run's temporary folder (global-setup.js). */
module.exports = () => {
  const dir = process.env.GENAI_BLUEPRINT_TEST_TMPDIR;
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
};
