import { describe, it } from 'vitest';
import { HELPER_ARG_CASES, checkHelperArgCase } from '../support/helper-arg-cases.js';

describe("helpers' pointer arguments without the sandbox: interpreter", () => {
  for (const c of HELPER_ARG_CASES) it(c.name, () => void checkHelperArgCase(c, 'interpreter'));
});
