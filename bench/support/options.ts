// Run options of the benchmark suite, from flags and environment (flag wins):
//   --quick | BENCH_QUICK=1        a ~1 minute smoke run with smaller loads and shorter windows
//   --only a,b | BENCH_ONLY=a,b    run only the named benchmarks (see `--list`)
//   --list                         print the benchmark names and exit
//   BENCH_DATABASE_URL | DATABASE_URL  PostgreSQL server (default postgres://postgres@127.0.0.1:5432/postgres);
//                                  every PostgreSQL benchmark creates its own database there and drops it

export interface BenchOptions {
  quick: boolean;
  only: string[] | null;
  list: boolean;
  /** Admin connection string of the PostgreSQL server the benchmarks create their databases on. */
  postgresUrl: string;
}

const DEFAULT_POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

function names(value: string | undefined): string[] | null {
  if (value === undefined || value.trim() === '') return null;
  return value
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
}

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv): BenchOptions {
  let quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  let only = names(env.BENCH_ONLY);
  let list = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--quick') quick = true;
    else if (arg === '--list') list = true;
    else if (arg === '--only') only = names(argv[++i]);
    else if (arg.startsWith('--only=')) only = names(arg.slice('--only='.length));
    else throw new Error(`unknown argument ${arg}; use --quick, --only name[,name] or --list`);
  }
  return { quick, only, list, postgresUrl: env.BENCH_DATABASE_URL ?? env.DATABASE_URL ?? DEFAULT_POSTGRES_URL };
}
