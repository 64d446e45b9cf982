using System.Globalization;

namespace Campaign.Outbox.Bench;

/// <summary>Command-line options. Quick mode by default; <c>--full</c> for the figures (100,000 events, 20 s of S2).</summary>
sealed class BenchOptions
{
    public int Events { get; private set; } = 20_000;
    public int Reps { get; private set; } = 3;
    public int Writers { get; private set; } = 4;
    public double S2Seconds { get; private set; } = 10;
    public IReadOnlyList<int> S2Rates { get; private set; } = [100, 300, 500];
    public int TwoRelayRate { get; private set; } = 500;
    public int WriteTransactions { get; private set; } = 2_000;
    public IReadOnlyList<int> WriteWriters { get; private set; } = [1, 4];
    public int S3Concurrency { get; private set; } = 100;
    public bool Full { get; private set; }
    public bool Durable { get; private set; }
    public bool Seed { get; private set; }

    /// <summary>S2 also runs (relay in a 2nd process) with this many scheduled units waiting, due in 3 days.</summary>
    public int Scheduled { get; private set; }
    public IReadOnlyList<WriteKind> WriteKinds { get; private set; } = [WriteKind.Plain, WriteKind.Outbox];
    public bool Warmup { get; private set; } = true;

    /// <summary>Wolverine's durable EF Core outbox measured beside ours in S2 (bench/Campaign.Outbox.Bench.Wolverine).</summary>
    public bool Peer { get; private set; } = true;
    public ISet<string> Only { get; private set; } = new HashSet<string>(["s1", "s2", "s3", "write"], StringComparer.OrdinalIgnoreCase);
    public string? Out { get; private set; }
    public RelayTuning Tuning { get; private set; } = new(null, null);
    public bool RelayMode { get; private set; }
    public bool SchemaMode { get; private set; }
    public IReadOnlyList<string> Raw { get; private set; } = [];

    public const string Usage = """
        Campaign.Outbox benchmarks (docs/how-we-measure.md): S1 backlog drain, S2 steady latency, S3 direct ceiling, write path.
          --full                  S1/S3 with 100,000 events and S2 for 20 s (default: quick, 20,000 events, S2 10 s)
          --durable               on the durable PostgreSQL (run.sh starts it): the write path at 1/16/64 writers, with the
                                  outbox woken after the commit, with the NOTIFY trigger, and without the outbox, and S2 at
                                  100/s with the relay in a 2nd process (its wake-up); the other options still apply
          --events=N              events for S1 and S3
          --reps=N                interleaved repetitions of every configuration (default 3, at least 3 for figures that count)
          --writers=N             concurrent writers in the S1 write phase (default 4)
          --s2-seconds=S          S2 duration per configuration run
          --s2-rates=100,300,500  S2 rates; --two-relay-rate=500 (0 = skip the two-relay run)
          --scheduled=N           S2 (relay in a 2nd process) again with N scheduled messages waiting (due in 3 days)
          --seed                  S1's backlog copied by SQL from one event written through the outbox (for
                                  --events=1000000: the relay's memory while it drains a million)
          --write-tx=N            transactions per write-path run (default 2000); --write-writers=1,4
          --write-diagnostics     write path also as plain insert in an explicit transaction, and outbox without the NOTIFY trigger
          --write-kinds=K,...     write-path variants: plain, outbox, plainInTransaction, outboxWithoutNotify, outboxNotifyTrigger
          --s3-concurrency=N      publishes in flight in S3 (default 100)
          --only=s1,s2,s3,write   scenarios to run (S1's ratio needs s3 too)
          --no-warmup             skip the discarded warm-up round
          --no-peer               skip the peer: Wolverine 6.62's durable EF Core outbox, run in S2 at every rate beside ours
          --relay-concurrency=N   override DeliveryConcurrency (default: the library's)
          --relay-batch=N         override QueryMessageLimit (default: the library's)
          --out=DIR               where results.json and results.md go (default bench/results/<timestamp>)
          schema                  print the benchmark database's DDL (tables, indexes, NOTIFY trigger) and exit
          relay                   (internal) run as the relay child process
        """;

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions { Raw = args };
        int? events = null;
        double? seconds = null;
        int? concurrency = null, batch = null;
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg == "relay")
            {
                o.RelayMode = true;
                continue;
            }
            if (arg == "schema")
            {
                o.SchemaMode = true;
                continue;
            }
            if (arg is "-h" or "--help")
                throw new UsageException("");

            var eq = arg.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? arg : arg[..eq];
            string Value() => eq >= 0 ? arg[(eq + 1)..] : i + 1 < args.Length ? args[++i] : throw new UsageException($"{name} needs a value");
            int Int() => int.Parse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture);
            int[] Ints() => [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(v => int.Parse(v, CultureInfo.InvariantCulture))];

            switch (name)
            {
                case "--full": o.Full = true; break;
                case "--durable":
                    o.Durable = true;
                    o.WriteWriters = [1, 16, 64];
                    o.WriteKinds = [WriteKind.Plain, WriteKind.PlainInTransaction, WriteKind.Outbox, WriteKind.OutboxWithoutNotify, WriteKind.OutboxNotifyTrigger];
                    o.Only = new HashSet<string>(["write", "s2"], StringComparer.OrdinalIgnoreCase);
                    o.S2Rates = [100];
                    o.TwoRelayRate = 0;
                    break;
                case "--events": events = Int(); break;
                case "--reps": o.Reps = Int(); break;
                case "--writers": o.Writers = Int(); break;
                case "--s2-seconds": seconds = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--s2-rates": o.S2Rates = Ints(); break;
                case "--two-relay-rate": o.TwoRelayRate = Int(); break;
                case "--write-tx": o.WriteTransactions = Int(); break;
                case "--write-writers": o.WriteWriters = Ints(); break;
                case "--s3-concurrency": o.S3Concurrency = Int(); break;
                case "--only": o.Only = new HashSet<string>(Value().Split(',', StringSplitOptions.RemoveEmptyEntries), StringComparer.OrdinalIgnoreCase); break;
                case "--no-warmup": o.Warmup = false; break;
                case "--no-peer": o.Peer = false; break;
                case "--seed": o.Seed = true; break;
                case "--scheduled": o.Scheduled = Int(); break;
                case "--write-diagnostics": o.WriteKinds = [WriteKind.Plain, WriteKind.Outbox, WriteKind.PlainInTransaction, WriteKind.OutboxWithoutNotify, WriteKind.OutboxNotifyTrigger]; break;
                case "--write-kinds": o.WriteKinds = [.. Value().Split(',', StringSplitOptions.RemoveEmptyEntries).Select(k => Enum.Parse<WriteKind>(k, ignoreCase: true))]; break;
                case "--relay-concurrency": concurrency = Int(); break;
                case "--relay-batch": batch = Int(); break;
                case "--out": o.Out = Value(); break;
                default: throw new UsageException($"unknown option {arg}");
            }
        }

        o.Events = events ?? (o.Full ? 100_000 : 20_000);
        o.S2Seconds = seconds ?? (o.Full ? 20 : 10);
        o.Tuning = new RelayTuning(concurrency, batch);
        if (o.Reps < 1 || o.Events < 1 || o.Writers < 1 || o.S3Concurrency < 1 || o.WriteTransactions < 1 || o.S2Seconds <= 0)
            throw new UsageException("counts must be positive");
        return o;
    }
}

sealed class UsageException : Exception
{
    public UsageException()
    {
    }

    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
