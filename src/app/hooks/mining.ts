/**
 * Test hooks for credit mining (test builds only, see test-hooks.ts). Token
 * amounts cross page.evaluate as decimal strings. Tests shorten the miner's
 * windows through its seams; the policy itself is the production one.
 */
import { DEFAULT_MINING_SETTINGS } from '../../mining/settings.ts';
import type { MiningRules } from '../../mining/constants.ts';
import type { AppSession } from '../app-session.ts';
import { running } from './running.ts';
import { plain } from './plain.ts';

export function miningHooks(session: AppSession) {
  const miner = () => running(session).mining;
  return {
    /** Shorter windows (set before mining starts deciding; the next round uses them). */
    rules(rules: Partial<MiningRules>): void {
      session.seams!.mining.rules = { ...session.seams!.mining.rules, ...rules };
    },
    async enable(investmentLimitBytes: number, diskBudgetBytes = 1024 * 1024 * 1024): Promise<void> {
      await miner().saveSettings({ ...DEFAULT_MINING_SETTINGS, enabled: true, investmentLimit: BigInt(investmentLimitBytes), diskBudgetBytes });
    },
    disable: () => miner().saveSettings({ ...miner().view().settings, enabled: false }),
    decideNow: () => miner().decide(),
    view: () => plain(miner().view()),
  };
}
