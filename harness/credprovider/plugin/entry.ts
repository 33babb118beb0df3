// The bundle's entry point: run the plugin and exit with its code (explicitly, so no idle keep-alive
// socket can hold the process, and with it the kubelet's pipe, open).
import { runPlugin } from './main.ts';

process.exit(await runPlugin(process.argv.slice(2), process.env));
