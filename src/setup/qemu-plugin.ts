import { existsSync } from 'node:fs';
import { QemuPluginBuildError, buildQemuPlugin, qemuPluginPath, qemuPluginSources } from '../runtime/qemu-plugin.js';
import { SetupError, type SetupContext } from './context.js';

/**
 * The qemu instruction-count plugin (native/qemu-plugin/insn-count.c), compiled with the host C
 * compiler into the emulation cache. A checkout's tests need it; an installed package without a
 * C compiler only loses exact instruction counts (`a64jit bench` then says so), so there it is
 * a warning.
 */
export function ensureQemuPlugin(ctx: SetupContext): void {
  const path = qemuPluginPath(ctx.layout.dir, ctx.root);
  if (ctx.check) {
    if (!existsSync(path)) throw new SetupError(`the qemu instruction-count plugin is not built (${path}); run \`${ctx.setupCommand}\``);
    ctx.log(`qemu instruction-count plugin present: ${path}`);
    return;
  }
  try {
    const { built } = buildQemuPlugin(path, qemuPluginSources(ctx.root));
    ctx.log(`qemu instruction-count plugin ${built ? 'built' : 'present'}: ${path}`);
  } catch (e) {
    if (!(e instanceof QemuPluginBuildError)) throw e;
    if (ctx.checkout) throw new SetupError(e.message);
    ctx.log(`warning: ${e.message}; exact instruction counts under qemu will be unavailable`);
  }
}
