import { type ConfigProblem, describeEffectiveConfig, formatProblem } from '@asr/config';
import { checkProviderConnection } from '@asr/asr';
import { HostPolicy } from '@asr/auth';
import { EXIT_INVALID, EXIT_OK, EXIT_WARNINGS, loadCliConfig } from './cli-config';

/** `asr-api config check [--connect]`: exit 0 valid, 1 valid with warnings, 2 invalid (or --connect failed). */
export async function configCheckCommand(options: { connect?: boolean }): Promise<number> {
  const result = loadCliConfig();
  if (!result.ok) {
    console.error('Invalid configuration:');
    for (const problem of result.errors) console.error(`  ${formatProblem(problem)}`);
    return EXIT_INVALID;
  }
  let group = '';
  for (const { definition, shown } of describeEffectiveConfig(result.env)) {
    if (definition.group !== group) {
      group = definition.group;
      console.log(`[${group}]`);
    }
    console.log(`  ${definition.name}=${shown}`);
  }
  // What API_ALLOWED_HOSTS and CORS_ORIGINS add up to: unset, the list is derived from this machine.
  const hosts = new HostPolicy(result.config);
  console.log('[hosts]');
  for (const line of hosts.describe()) console.log(`  ${line}`);
  const warnings: ConfigProblem[] = [...result.warnings];
  if (hosts.ignored.length > 0)
    warnings.push({
      variable: 'API_ALLOWED_HOSTS',
      message: `ignored, not host names or addresses: ${hosts.ignored.map((entry) => JSON.stringify(entry)).join(', ')}`,
    });
  if (options.connect) {
    const report = await checkProviderConnection(result.config);
    console.log(`connect: ${report.verdict}: ${report.message}`);
    if (report.verdict === 'failed') return EXIT_INVALID;
    if (report.verdict === 'warning') warnings.push({ variable: 'ASR_PROVIDER', message: report.message });
  }
  for (const notice of result.notices) console.error(`note: ${formatProblem(notice)}`);
  for (const warning of warnings) console.error(`warning: ${formatProblem(warning)}`);
  if (warnings.length > 0) return EXIT_WARNINGS;
  console.log('configuration is valid');
  return EXIT_OK;
}
