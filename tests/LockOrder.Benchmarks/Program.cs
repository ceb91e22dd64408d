using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Running;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;

namespace LockOrder.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project tests/LockOrder.Benchmarks -- &lt;command&gt;</c>:
/// <list type="bullet">
/// <item><c>all</c>: the whole table of docs/performance.md (build at 10k, 100k, 1M lines; profile; IDE).</item>
/// <item><c>build [lines] [runs] [server]</c>: <c>dotnet build --no-incremental</c> of a generated library, with and
/// without the analyzer, alternating, medians: wall time, CPU time, the compiler's analyzer time (ReportAnalyzer), peak
/// memory. Each build runs a fresh compiler process (a cold build, as in CI); <c>server</c> instead uses the .NET SDK's
/// compiler server, as a default <c>dotnet build</c> does, warmed by uncounted builds first (a developer's builds);
/// <c>nothing</c> measures, in LockOrder's place, an analyzer that registers a code-block action that does nothing (the
/// measurement's own floor and noise: what any analyzer costs, and what a series reads for it).</item>
/// <item><c>profile [lines]</c>: in-process, each rule's time (the driver's telemetry) and the slowest bodies.</item>
/// <item><c>ide [lines] [runs]</c>: one edited document in a fresh compilation: the analyzers' time for it against the
/// compiler's own semantic diagnostics for it, and as the IDE runs it (the compiler's diagnostics from a compiler
/// analyzer in the same CompilationWithAnalyzers, alone and with LockOrder).</item>
/// <item><c>engine [lines] [rounds]</c>: the engine's own work on every method, constructor and operator body (not
/// accessors), single-threaded, minimum over rounds (to compare two versions of the engine), and how many analysed
/// bodies held nothing lock-related.</item>
/// <item><c>driver [lines] [rounds] [configs] [serial]</c>: the analyzer driver's cost per analyzer (CPU time of a full
/// analysis); configs, comma-separated, picks some (binding,binding+lockorder: LockOrder's marginal CPU in a build);
/// serial analyses on one thread.</item>
/// <item><c>retained [lines] [config]</c>: what a full analysis leaves alive while its compilation is held (as a build
/// holds it to the end): the live heap after a compacting collection, against before the analysis. One config per
/// process (binding, or binding+lockorder): run it once each way.</item>
/// <item><c>bench ...</c>: the BenchmarkDotNet benchmarks on the bundled sample.</item>
/// </list>
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var command = args.Length > 0 ? args[0] : "all";
        int Arg(int index, int fallback) => args.Length > index ? int.Parse(args[index], CultureInfo.InvariantCulture) : fallback;
        switch (command)
        {
            case "bench":
                // BenchmarkDotNet's reports go beside the project, not into the repository's top level.
                BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args.Skip(1).ToArray(),
                    BenchmarkDotNet.Configs.ConfigExtensions.WithArtifactsPath(BenchmarkDotNet.Configs.DefaultConfig.Instance, Path.Combine(BenchmarkDirectory(), "results", "BenchmarkDotNet")));
                return 0;
            case "build":
                Build(Arg(1, 100_000), Arg(2, 3), args.Skip(3).Contains("server"), args.Skip(3).Contains("nothing"));
                return 0;
            case "profile":
                await Profile(Arg(1, 100_000));
                return 0;
            case "generate":
                Console.WriteLine(Generator.WriteProject(args[2], Arg(1, 10_000)) + " lines written to " + args[2]);
                return 0;
            case "compare":
                return Compare(args[1], args[2]);
            case "probe":
                Probe(Arg(1, 100_000));
                return 0;
            case "engine":
                Engine(Arg(1, 100_000), Arg(2, 7));
                return 0;
            case "driver":
                await Driver(Arg(1, 100_000), Arg(2, 4), args.Length > 3 ? args[3].Split(',') : null, args.Length > 4 && args[4] == "serial");
                return 0;
            case "retained":
                await Retained(Arg(1, 100_000), args.Length > 2 ? args[2] : "binding+lockorder");
                return 0;
            case "phases":
                Phases(Arg(1, 100_000));
                return 0;
            case "ide":
                await Ide(Arg(1, 100_000), Arg(2, 5));
                return 0;
            case "realkey":
                await RealKey(args[1], args[2], args[3], Arg(4, 6));
                return 0;
            case "all":
                foreach (var lines in new[] { 10_000, 100_000, 1_000_000 })
                {
                    Build(lines, lines >= 1_000_000 ? 2 : 3);
                }

                Build(100_000, 3, server: true);
                Build(1_000_000, 2, server: true);

                await Profile(100_000);
                await Ide(10_000, 5);
                await Ide(100_000, 5);
                await Ide(1_000_000, 3);
                return 0;
            default:
                Console.Error.WriteLine("commands: all | build [lines] [runs] | profile [lines] | ide [lines] [runs] | realkey [csc.rsp] [dir] [file] [runs] | probe [lines] | engine [lines] [rounds] | driver [lines] [rounds] | generate [lines] [dir] | compare [base] [latest] | bench ...");
                return 2;
        }
    }

    // ---- whole build -------------------------------------------------------------------------------

    /// <summary>Builds the compiler server runs before the counted ones, each way, to warm its JIT-compiled code and its
    /// caches of references and analyzers (measured at 100k, alternating: 25.9, 17.7, 12.1, 10.5, 9.4 and 8.5 s, then
    /// 7.5 to 8.4 s).</summary>
    private const int ServerWarmUpPairs = 3;

    private static void Build(int lines, int runs, bool server = false, bool nothing = false)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"lockorder-perf-{lines}");
        if (Directory.Exists(dir))
        {
            Directory.Delete(dir, recursive: true);
        }

        int written = Generator.WriteProject(dir, lines);
        Run("dotnet", "restore -nologo", dir);
        // LOCKORDER_PERF_ANALYZER: another build of the analyzer to measure (a ReadyToRun image, an older commit).
        var analyzer = nothing ? NothingAnalyzerAssembly(dir)
            : Environment.GetEnvironmentVariable("LOCKORDER_PERF_ANALYZER") is { Length: > 0 } other ? other
            : typeof(LockOrder.Rules.LockCycleAnalyzer).Assembly.Location;
        if (server)
        {
            Run("dotnet", "build-server shutdown", dir);
            for (int i = 0; i < ServerWarmUpPairs; i++)
            {
                BuildOnce(dir, null, server);
                BuildOnce(dir, analyzer, server);
            }
        }

        var without = new List<BuildRun>();
        var with = new List<BuildRun>();
        // Alternating in ABBA order (without, with, with, without, ...): a machine that slows down or speeds up over
        // the runs (this one's speed drifts by 10-20% within minutes) then weighs on both sides alike.
        for (int i = 0; i < runs; i++)
        {
            if (i % 2 == 0)
            {
                without.Add(BuildOnce(dir, null, server));
                with.Add(BuildOnce(dir, analyzer, server));
            }
            else
            {
                with.Add(BuildOnce(dir, analyzer, server));
                without.Add(BuildOnce(dir, null, server));
            }
        }

        double wallWithout = Median(without.Select(r => r.Seconds)), wallWith = Median(with.Select(r => r.Seconds));
        double memWithout = Median(without.Select(r => r.PeakMiB)), memWith = Median(with.Select(r => r.PeakMiB));
        double analyzerTime = Median(with.Select(r => r.AnalyzerSeconds));
        double cpuWithout = Median(without.Select(r => r.CpuSeconds)), cpuWith = Median(with.Select(r => r.CpuSeconds));
        // Each ABBA pair ran back to back: the median of the pairs' ratios is less moved by the machine's drift
        // than the ratio of the medians (which stays the headline figure).
        double paired = Median(without.Zip(with, (a, b) => b.Seconds / a.Seconds - 1));
        Console.WriteLine(FormattableString.Invariant(
            $"build {written} lines ({runs} runs each{(server ? ", compiler server warmed by " + ServerWarmUpPairs + " builds each way" : ", a fresh compiler per build")}{(nothing ? "; an analyzer that does nothing in LockOrder's place" : "")}): without {wallWithout:F1} s, with {wallWith:F1} s, overhead {100 * (wallWith - wallWithout) / wallWithout:F1}% (median of pairs {100 * paired:F1}%); CPU {cpuWithout:F1} s vs {cpuWith:F1} s ({100 * (cpuWith - cpuWithout) / cpuWithout:F1}%); LockOrder analyzer time {analyzerTime:F2} s ({1000 * analyzerTime / (written / 1000.0):F1} ms per 1k lines); peak memory {(server ? "not measured (the server's peak spans its builds)" : FormattableString.Invariant($"{memWithout:F0} MiB vs {memWith:F0} MiB ({memWith / memWithout:F2}x)"))}"));
        Console.WriteLine("  runs without (s): " + string.Join(" ", without.Select(r => r.Seconds.ToString("F1", CultureInfo.InvariantCulture)))
            + "; with (s): " + string.Join(" ", with.Select(r => r.Seconds.ToString("F1", CultureInfo.InvariantCulture))));
        Console.WriteLine("  CPU without (s): " + string.Join(" ", without.Select(r => r.CpuSeconds.ToString("F1", CultureInfo.InvariantCulture)))
            + "; with (s): " + string.Join(" ", with.Select(r => r.CpuSeconds.ToString("F1", CultureInfo.InvariantCulture))));
        var prefix = (server ? "build_server" : "build") + (nothing ? "_nothing" : "");
        Record($"{prefix}.{lines}.overhead_percent", 100 * (wallWith - wallWithout) / wallWithout);
        Record($"{prefix}.{lines}.overhead_paired_percent", 100 * paired);
        Record($"{prefix}.{lines}.cpu_overhead_percent", 100 * (cpuWith - cpuWithout) / cpuWithout);
        Record($"{prefix}.{lines}.analyzer_ms_per_1k_lines", 1000 * analyzerTime / (written / 1000.0));
        if (server)
        {
            Run("dotnet", "build-server shutdown", dir);
        }
        else
        {
            Record($"{prefix}.{lines}.memory_ratio", memWith / memWithout);
        }

        Directory.Delete(dir, recursive: true);
    }

    /// <summary>An analyzer assembly whose one analyzer registers a code-block action that does nothing, as LockOrder's
    /// per-body rules register theirs, compiled here (against this process's Roslyn, older than the SDK's compiler)
    /// into the build's folder.</summary>
    private static string NothingAnalyzerAssembly(string dir)
    {
        const string source = """
            using System.Collections.Immutable;
            using Microsoft.CodeAnalysis;
            using Microsoft.CodeAnalysis.Diagnostics;

            [DiagnosticAnalyzer(LanguageNames.CSharp)]
            public sealed class NothingAnalyzer : DiagnosticAnalyzer
            {
                private static readonly DiagnosticDescriptor Rule = new("PERF000", "Nothing", "Nothing", "Performance", DiagnosticSeverity.Warning, true);

                public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

                public override void Initialize(AnalysisContext context)
                {
                    context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
                    context.EnableConcurrentExecution();
                    context.RegisterCompilationStartAction(start => start.RegisterCodeBlockAction(_ => { }));
                }
            }
            """;
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) == "netstandard.dll")
            .Append(typeof(DiagnosticAnalyzer).Assembly.Location)
            .Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create("PerfNothingAnalyzer", new[] { CSharpSyntaxTree.ParseText(source) }, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, optimizationLevel: OptimizationLevel.Release));
        var path = Path.Combine(Path.GetDirectoryName(dir)!, "lockorder-perf-nothing", "PerfNothingAnalyzer.dll");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var emitted = compilation.Emit(path);
        if (!emitted.Success)
        {
            throw new InvalidOperationException("The do-nothing analyzer did not compile: " + string.Join("; ", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        }

        return path;
    }

    /// <param name="CpuSeconds">User and system CPU time of the build and its children (<c>/usr/bin/time</c>), and with
    /// the compiler server that of the server during the build.</param>
    private sealed record BuildRun(double Seconds, double PeakMiB, double AnalyzerSeconds, double CpuSeconds);

    private static BuildRun BuildOnce(string dir, string? analyzer, bool server)
    {
        // UseSharedCompilation is set either way: a machine may set it in the environment (this one sets false).
        var args = "-v /usr/bin/env dotnet build --no-incremental --no-restore -nologo -nodeReuse:false -p:ReportAnalyzer=true -v:d"
                   + (server ? " -p:UseSharedCompilation=true" : " -p:UseSharedCompilation=false")
                   + (analyzer is null ? "" : $" \"-p:LockOrderAnalyzer={analyzer}\"");
        var serverBefore = server ? ServerCpu() : default;
        var watch = Stopwatch.StartNew();
        var output = Run("/usr/bin/time", args, dir);
        watch.Stop();
        var serverAfter = server ? ServerCpu() : default;
        var rss = Regex.Match(output, @"Maximum resident set size \(kbytes\): (\d+)");
        // ReportAnalyzer prints each assembly's total; LockOrder's line names its assembly.
        var time = Regex.Match(output, @"(\d+(?:\.\d+)?)\s+\d+\s+LockOrder\.Analyzers, Version=");
        var user = Regex.Match(output, @"User time \(seconds\): (\d+(?:\.\d+)?)");
        var system = Regex.Match(output, @"System time \(seconds\): (\d+(?:\.\d+)?)");
        // A server that exited and was started again during the build counts from its start.
        double serverCpu = serverAfter.Id == serverBefore.Id ? serverAfter.Seconds - serverBefore.Seconds : serverAfter.Seconds;
        // The server's peak memory spans all its builds: a build's own peak is only known without it.
        return new BuildRun(watch.Elapsed.TotalSeconds, server || !rss.Success ? double.NaN : double.Parse(rss.Groups[1].Value, CultureInfo.InvariantCulture) / 1024,
            time.Success ? double.Parse(time.Groups[1].Value, CultureInfo.InvariantCulture) : 0,
            user.Success && system.Success ? double.Parse(user.Groups[1].Value, CultureInfo.InvariantCulture) + double.Parse(system.Groups[1].Value, CultureInfo.InvariantCulture) + serverCpu : double.NaN);
    }

    /// <summary>The compiler server's process and its CPU time so far (none: id 0).</summary>
    private static (int Id, double Seconds) ServerCpu()
    {
        foreach (var process in Process.GetProcessesByName("VBCSCompiler"))
        {
            using (process)
            {
                try
                {
                    return (process.Id, process.TotalProcessorTime.TotalSeconds);
                }
                catch (InvalidOperationException)
                {
                    // It exited between the listing and the read.
                }
            }
        }

        return (0, 0);
    }

    // ---- in-process profile ------------------------------------------------------------------------

    private static async Task Profile(int lines)
    {
        var compilation = Compile(lines);
        var analyzers = Analyzers();
        var options = new CompilationWithAnalyzersOptions(Options(lines), null, concurrentAnalysis: true, logAnalyzerExecutionTime: true);
        var watch = Stopwatch.StartNew();
        var result = await compilation.WithAnalyzers(analyzers, options).GetAnalysisResultAsync(CancellationToken.None);
        watch.Stop();
        Console.WriteLine(FormattableString.Invariant($"profile {lines} lines: all rules {watch.Elapsed.TotalSeconds:F2} s wall, {result.GetAllDiagnostics().Count(d => d.Id.StartsWith("LOCK", StringComparison.Ordinal))} LockOrder diagnostics"));
        foreach (var (analyzer, info) in result.AnalyzerTelemetryInfo.OrderByDescending(p => p.Value.ExecutionTime))
        {
            Console.WriteLine(FormattableString.Invariant($"  {analyzer.GetType().Name,-32} {info.ExecutionTime.TotalSeconds,8:F3} s"));
        }

        var byId = result.GetAllDiagnostics().Where(d => d.Id.StartsWith("LOCK", StringComparison.Ordinal)).GroupBy(d => d.Id).OrderBy(g => g.Key, StringComparer.Ordinal);
        Console.WriteLine("  diagnostics: " + string.Join(", ", byId.Select(g => g.Key + " " + g.Count())));

        // The slowest bodies: each body's facts on a fresh model, one at a time. Binding the body is the compiler's
        // work (it binds it anyway) and is timed apart; a body's time is its flow graph, its lock-state analysis and
        // the summaries of what it calls (which bind those callees when they are not bound yet).
        var model = LockOrder.Engine.LockModel.For(compilation.Clone(), Options(lines), CancellationToken.None);
        var times = new List<(string Body, double Ms, double BindMs)>();
        foreach (var method in LockOrder.Engine.Calls.CallersIndex.SourceMethods(model.Compilation))
        {
            var syntax = method.DeclaringSyntaxReferences[0].GetSyntax();
            var bind = Stopwatch.StartNew();
            var root = model.Compilation.GetSemanticModel(syntax.SyntaxTree).GetOperation(syntax);
            bind.Stop();
            var body = Stopwatch.StartNew();
            model.GetFacts(method, root, CancellationToken.None);
            times.Add((method.ToDisplayString(), body.Elapsed.TotalMilliseconds, bind.Elapsed.TotalMilliseconds));
        }

        Console.WriteLine(FormattableString.Invariant($"  bodies: {times.Count}, analysis median {Median(times.Select(t => t.Ms)):F3} ms, total {times.Sum(t => t.Ms) / 1000:F2} s (binding apart: {times.Sum(t => t.BindMs) / 1000:F2} s); slowest:"));
        Record($"profile.{lines}.analysis_total_s", times.Sum(t => t.Ms) / 1000);

        // A body that looked slow once is timed again on a fresh model after a full collection: a garbage
        // collection that happened to fall inside it is not the body's cost. The worst re-timed body is the metric.
        double worst = 0;
        foreach (var (body, ms, bindMs) in times.OrderByDescending(t => t.Ms).Take(5))
        {
            var method = LockOrder.Engine.Calls.CallersIndex.SourceMethods(model.Compilation).First(m => m.ToDisplayString() == body);
            var fresh = LockOrder.Engine.LockModel.For(compilation.Clone(), Options(lines), CancellationToken.None);
            var again = LockOrder.Engine.Calls.CallersIndex.SourceMethods(fresh.Compilation).First(m => m.ToDisplayString() == body);
            var syntax = again.DeclaringSyntaxReferences[0].GetSyntax();
            var root = fresh.Compilation.GetSemanticModel(syntax.SyntaxTree).GetOperation(syntax);
            GC.Collect();
            GC.WaitForPendingFinalizers();
            var watch2 = Stopwatch.StartNew();
            fresh.GetFacts(again, root, CancellationToken.None);
            double retimed = watch2.Elapsed.TotalMilliseconds;
            worst = Math.Max(worst, retimed);
            Console.WriteLine(FormattableString.Invariant($"    {ms,8:F1} ms first, {retimed,8:F1} ms re-timed  {body}  (bound in {bindMs:F1} ms)"));
        }

        Record($"profile.{lines}.slowest_body_ms", worst);
    }

    /// <summary>
    /// The engine's own work on every method, constructor and operator body (accessors and property arrows aside),
    /// single-threaded, in rounds on one compilation whose bodies are bound before the first round (the compiler binds
    /// them in a build): each round a fresh model filters each of them,
    /// computes the facts of those kept with the summaries they need, and their order edges. The minimum over rounds
    /// is the figure: on a shared machine the noise only ever adds time. A diagnostic aid to compare two versions of
    /// the engine, not part of the table.
    /// </summary>
    private static void Engine(int lines, int rounds)
    {
        var compilation = Compile(lines);
        var options = Options(lines);
        var blocks = new List<(IMethodSymbol Method, SyntaxNode Block, SemanticModel Semantic)>();
        var first = LockOrder.Engine.LockModel.Uncached(compilation, options, CancellationToken.None);
        foreach (var tree in compilation.SyntaxTrees)
        {
            var semantic = compilation.GetSemanticModel(tree);
            foreach (var member in tree.GetRoot().DescendantNodes(n => n is not Microsoft.CodeAnalysis.CSharp.Syntax.BaseMethodDeclarationSyntax).OfType<Microsoft.CodeAnalysis.CSharp.Syntax.BaseMethodDeclarationSyntax>())
            {
                if (semantic.GetDeclaredSymbol(member) is IMethodSymbol method && LockOrder.Engine.LockModel.HasBodySyntax(member))
                {
                    blocks.Add((method, member, semantic));
                    if (first.Filter.MayMatter(member, CancellationToken.None))
                    {
                        _ = semantic.GetOperation(member); // Bound once, as by the compiler; kept by the semantic model.
                    }
                }
            }
        }

        var times = new List<double>();
        long allocated = 0;
        int kept = 0, edges = 0, quiet = 0;
        for (int round = 0; round < rounds; round++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            long before = GC.GetAllocatedBytesForCurrentThread();
            var watch = Stopwatch.StartNew();
            var model = LockOrder.Engine.LockModel.Uncached(compilation, options, CancellationToken.None);
            kept = edges = quiet = 0;
            foreach (var (method, block, semantic) in blocks)
            {
                foreach (var body in model.BodiesToAnalyze(method, block, semantic, CancellationToken.None))
                {
                    kept++;
                    // What a pre-filter on the bound tree could have spared: a body whose facts hold no lock event,
                    // no protected access, no await, no call under a lock and no delegate passed or invoked.
                    if (body.Acquisitions.IsEmpty && body.Releases.IsEmpty && body.Accesses.IsEmpty && body.Awaits.IsEmpty
                        && body.Calls.All(c => c.Held.IsEmpty && c.Targets.DelegateArguments.IsEmpty && c.Targets.InvokedDelegate is null))
                    {
                        quiet++;
                    }

                    edges += LockOrder.Engine.Queries.OrderEdges.Of(model, body, CancellationToken.None).Count();
                }
            }

            times.Add(watch.Elapsed.TotalMilliseconds);
            allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Console.WriteLine(FormattableString.Invariant($"engine {lines} lines: {blocks.Count} code blocks, {kept} bodies analysed ({quiet} of them with no lock event, protected access, await, call under a lock or delegate), {edges} order edges; min {times.Min():F0} ms, median {Median(times):F0} ms, {allocated / (1024 * 1024)} MB allocated per round; rounds {string.Join(" ", times.Select(t => t.ToString("F0", CultureInfo.InvariantCulture)))}"));
    }

    /// <summary>Times the engine's demand-driven pieces one by one (a diagnostic aid, not part of the table).</summary>
    private static void Probe(int lines)
    {
        var compilation = Compile(lines);
        var model = LockOrder.Engine.LockModel.For(compilation, Options(lines), CancellationToken.None);
        // The members are listed first, untimed (listing them walks every node). The filter is timed twice: on
        // trees no one has walked yet, and again with a fresh model on the same trees, as in a build, where the
        // compiler has made every node of every body before the analyzers ask.
        var members = compilation.SyntaxTrees
            .Select(tree => tree.GetRoot().DescendantNodes(n => n is not Microsoft.CodeAnalysis.CSharp.Syntax.BaseMethodDeclarationSyntax).OfType<Microsoft.CodeAnalysis.CSharp.Syntax.BaseMethodDeclarationSyntax>().ToList())
            .ToList();
        int kept = 0, all = members.Sum(m => m.Count);
        foreach (var round in new[] { "on fresh trees", "on walked trees" })
        {
            var filter = round == "on fresh trees" ? model.Filter : LockOrder.Engine.LockModel.For(compilation.Clone(), Options(lines), CancellationToken.None).Filter;
            var timer = Stopwatch.StartNew();
            long allocated = GC.GetTotalAllocatedBytes(precise: true);
            kept = 0;
            foreach (var member in members.SelectMany(m => m))
            {
                kept += filter.MayMatter(member, CancellationToken.None) ? 1 : 0;
            }

            Console.WriteLine(FormattableString.Invariant($"filter {round}: {kept} of {all} bodies kept in {timer.Elapsed.TotalMilliseconds:F0} ms, {Megabytes(ref allocated)} MB allocated"));
        }

        var watch = new Stopwatch();
        double bindMs = 0, factsMs = 0;
        long bindBytes = 0, factsBytes = 0;
        var before = model.BodiesAnalyzed;
        foreach (var tree in compilation.SyntaxTrees)
        {
            var semantic = compilation.GetSemanticModel(tree);
            foreach (var member in tree.GetRoot().DescendantNodes(n => n is not Microsoft.CodeAnalysis.CSharp.Syntax.BaseMethodDeclarationSyntax).OfType<Microsoft.CodeAnalysis.CSharp.Syntax.BaseMethodDeclarationSyntax>())
            {
                if (!model.Filter.MayMatter(member, CancellationToken.None) || semantic.GetDeclaredSymbol(member) is not { } symbol)
                {
                    continue;
                }

                watch.Restart();
                long before0 = GC.GetAllocatedBytesForCurrentThread();
                var root = LockOrder.Engine.LockModel.BodyRoot(semantic.GetOperation(member));
                bindMs += watch.Elapsed.TotalMilliseconds;
                long before1 = GC.GetAllocatedBytesForCurrentThread();
                bindBytes += before1 - before0;
                watch.Restart();
                if (root is not null && model.MayMatter(root))
                {
                    model.GetFacts(symbol, root, CancellationToken.None);
                }

                factsMs += watch.Elapsed.TotalMilliseconds;
                factsBytes += GC.GetAllocatedBytesForCurrentThread() - before1;
            }
        }

        // Where a kept body's allocations go, step by step (the steps of BodyAnalysis, top-level bodies only), on a
        // fresh model so that nothing is memoised yet.
        {
            var fresh = LockOrder.Engine.LockModel.For(compilation.Clone(), Options(lines), CancellationToken.None);
            var locks = new LockOrder.Engine.Flow.LockOperations(fresh.Knowledge);
            long graphBytes = 0, contextBytes = 0, walkBytes = 0, buildBytes = 0;
            double graphMs = 0, contextMs = 0, walkMs = 0, buildMs = 0;
            int n = 0;
            var step = new Stopwatch();
            foreach (var tree in fresh.Compilation.SyntaxTrees)
            {
                var semantic = fresh.Compilation.GetSemanticModel(tree);
                foreach (var member in tree.GetRoot().DescendantNodes(x => x is not Microsoft.CodeAnalysis.CSharp.Syntax.BaseMethodDeclarationSyntax).OfType<Microsoft.CodeAnalysis.CSharp.Syntax.BaseMethodDeclarationSyntax>())
                {
                    if (!fresh.Filter.MayMatter(member, CancellationToken.None) || semantic.GetDeclaredSymbol(member) is not { } symbol
                        || LockOrder.Engine.LockModel.BodyRoot(semantic.GetOperation(member)) is not { } root || !fresh.MayMatter(root))
                    {
                        continue;
                    }

                    n++;
                    long a0 = GC.GetAllocatedBytesForCurrentThread();
                    step.Restart();
                    var cfg = LockOrder.Engine.LockModel.CreateGraph(root, CancellationToken.None)!;
                    graphMs += step.Elapsed.TotalMilliseconds;
                    long a1 = GC.GetAllocatedBytesForCurrentThread();
                    step.Restart();
                    var body = new LockOrder.Engine.Flow.BodyContext(cfg, symbol, CancellationToken.None, i => fresh.Knowledge.LockMember(i.TargetMethod, i.Instance?.Type) is not null);
                    contextMs += step.Elapsed.TotalMilliseconds;
                    long a2 = GC.GetAllocatedBytesForCurrentThread();
                    step.Restart();
                    var walker = new LockOrder.Engine.Flow.CfgWalker<LockOrder.Engine.Model.LockState>(cfg);
                    var recorder = new LockOrder.Engine.Flow.FactRecorder(body, fresh.Knowledge);
                    var silent = new LockOrder.Engine.Flow.LockTransfer(body, locks, LockOrder.Engine.Flow.NullFlowSink.Instance);
                    var incoming = walker.IsForward ? walker.SolveForward(new LockOrder.Engine.Flow.LockTransfer(body, locks, recorder), silent, LockOrder.Engine.Model.LockState.Empty, CancellationToken.None) : null;
                    if (incoming is null && walker.Solve(silent, LockOrder.Engine.Model.LockState.Empty, CancellationToken.None) is { } inputs)
                    {
                        recorder = new LockOrder.Engine.Flow.FactRecorder(body, fresh.Knowledge);
                        incoming = walker.Replay(new LockOrder.Engine.Flow.LockTransfer(body, locks, recorder), silent, inputs, CancellationToken.None);
                    }

                    walkMs += step.Elapsed.TotalMilliseconds;
                    long a3 = GC.GetAllocatedBytesForCurrentThread();
                    step.Restart();
                    if (incoming is not null)
                    {
                        recorder.Build(cfg, symbol as IMethodSymbol ?? throw new InvalidOperationException(), root, incoming, walker.IsExceptional);
                    }

                    buildMs += step.Elapsed.TotalMilliseconds;
                    long a4 = GC.GetAllocatedBytesForCurrentThread();
                    graphBytes += a1 - a0;
                    contextBytes += a2 - a1;
                    walkBytes += a3 - a2;
                    buildBytes += a4 - a3;
                }
            }

            Console.WriteLine(FormattableString.Invariant($"a kept body's steps ({n} bodies, lambdas not followed): flow graph {graphMs:F0} ms {graphBytes / 1024 / n} KB, context {contextMs:F0} ms {contextBytes / 1024 / n} KB, walk {walkMs:F0} ms {walkBytes / 1024 / n} KB, facts {buildMs:F0} ms {buildBytes / 1024 / n} KB per body"));
        }

        Console.WriteLine(FormattableString.Invariant($"kept bodies: bind {bindMs:F0} ms ({bindBytes / 1048576} MB), facts (with summaries) {factsMs:F0} ms ({factsBytes / 1048576} MB), bodies analysed {model.BodiesAnalyzed - before}"));
        foreach (var name in new[] { "CountLocked", "Peek", "Sum" })
        {
            var methods = compilation.GetSymbolsWithName(name, SymbolFilter.Member).OfType<IMethodSymbol>().Take(5).ToList();
            foreach (var method in methods)
            {
                watch.Restart();
                int n = model.Callers().CallersOf(method, CancellationToken.None).Count;
                Console.WriteLine(FormattableString.Invariant($"callers of {method.ToDisplayString()}: {n} in {watch.Elapsed.TotalMilliseconds:F1} ms (whole index built: {model.Callers().WholeBuilt})"));
            }
        }
    }

    private static long Megabytes(ref long since)
    {
        long now = GC.GetTotalAllocatedBytes(precise: true);
        long megabytes = (now - since) / 1048576;
        since = now;
        return megabytes;
    }

    /// <summary>Where the per-body time goes: binding, the flow graph, the lock-state analysis.</summary>
    private static void Phases(int lines)
    {
        var compilation = Compile(lines);
        var knowledge = LockOrder.Engine.LockModel.For(compilation, Options(lines), CancellationToken.None).Knowledge;
        var locks = new LockOrder.Engine.Flow.LockOperations(knowledge);
        double bind = 0, cfg = 0, flow = 0;
        var watch = new Stopwatch();
        foreach (var method in LockOrder.Engine.Calls.CallersIndex.SourceMethods(compilation))
        {
            var syntax = method.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax();
            if (syntax is null)
            {
                continue;
            }

            var model = compilation.GetSemanticModel(syntax.SyntaxTree);
            watch.Restart();
            var op = model.GetOperation(syntax);
            bind += watch.Elapsed.TotalMilliseconds;
            if (op is null)
            {
                continue;
            }

            watch.Restart();
            var graph = LockOrder.Engine.LockModel.CreateGraph(op, CancellationToken.None);
            cfg += watch.Elapsed.TotalMilliseconds;
            if (graph is null)
            {
                continue;
            }

            watch.Restart();
            LockOrder.Engine.Flow.BodyAnalysis.Analyze(graph, method, op, knowledge, locks, CancellationToken.None);
            flow += watch.Elapsed.TotalMilliseconds;
        }

        Console.WriteLine(FormattableString.Invariant($"phases {lines} lines: bind {bind / 1000:F2} s, flow graph {cfg / 1000:F2} s, lock-state analysis {flow / 1000:F2} s"));
    }

    /// <summary>What the analyzer driver costs per analyzer: the CPU time of a full analysis of one compilation with
    /// no analyzer, one that does nothing, thirteen that do nothing, and LockOrder's shipped analyzers, in alternating
    /// rounds on clones of one compilation (why the per-body rules ship in one analyzer).</summary>
    private static async Task Driver(int lines, int rounds, string[]? only, bool serial)
    {
        var compilation = Compile(lines);
        var options = Options(lines);
        var configs = new (string Name, Func<ImmutableArray<DiagnosticAnalyzer>> Make)[]
        {
            ("none", () => ImmutableArray<DiagnosticAnalyzer>.Empty),
            ("1 nothing", () => ImmutableArray.Create<DiagnosticAnalyzer>(new NothingAnalyzer())),
            ("13 nothing", () => Enumerable.Range(0, 13).Select(_ => (DiagnosticAnalyzer)new NothingAnalyzer()).ToImmutableArray()),
            ("lockorder", () => Analyzers()),
            // As in a build of a .NET project, where the SDK's analyzers already have every body bound: what
            // LockOrder adds to that (the figure the whole-build overhead is made of).
            ("binding", () => ImmutableArray.Create<DiagnosticAnalyzer>(new NothingAnalyzer(NothingKind.Binding))),
            ("binding+lockorder", () => Analyzers().Add(new NothingAnalyzer(NothingKind.Binding))),
            // What one more analyzer costs the driver beside the SDK's, by the kind of action it registers: a
            // code-block action (the driver visits every declaration for it) or a semantic-model action (once per tree).
            ("binding+nothing", () => ImmutableArray.Create<DiagnosticAnalyzer>(new NothingAnalyzer(NothingKind.Binding), new NothingAnalyzer())),
            ("binding+nothing-per-tree", () => ImmutableArray.Create<DiagnosticAnalyzer>(new NothingAnalyzer(NothingKind.Binding), new NothingAnalyzer(NothingKind.SemanticModel))),
        };
        if (only is not null)
        {
            configs = configs.Where(c => only.Contains(c.Name)).ToArray();
        }

        var results = configs.ToDictionary(c => c.Name, _ => new List<double>());
        for (int r = 0; r < rounds; r++)
        {
            foreach (var (name, make) in r % 2 == 0 ? configs : configs.Reverse())
            {
                GC.Collect();
                var c = compilation.Clone();
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                var analyzers = make();
                if (analyzers.IsEmpty)
                {
                    _ = c.GetDiagnostics();
                }
                else
                {
                    _ = await c.WithAnalyzers(analyzers, new CompilationWithAnalyzersOptions(options, null, concurrentAnalysis: !serial, logAnalyzerExecutionTime: false)).GetAllDiagnosticsAsync();
                }

                results[name].Add((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
            }
        }

        foreach (var (name, list) in results)
        {
            Console.WriteLine($"{name,-12} cpu median {Median(list):F2} s  runs {string.Join(" ", list.Select(x => x.ToString("F2")))}");
        }

        if (results.TryGetValue("binding", out var bound))
        {
            foreach (var (name, list) in results.Where(r => r.Key.StartsWith("binding+", StringComparison.Ordinal)))
            {
                // Paired by round (the machine's speed drifts between rounds more than within one).
                var deltas = bound.Zip(list, (a, b) => b - a).ToList();
                Console.WriteLine($"{name.Substring("binding+".Length)} over binding: median {Median(deltas):F2} s  rounds {string.Join(" ", deltas.Select(x => x.ToString("F2")))}");
            }
        }
    }

    /// <summary>The live heap a full analysis leaves while the driver (and so its compilation, with every cache keyed
    /// by it) is still held: what a build carries through its emit phase.</summary>
    private static async Task Retained(int lines, string config)
    {
        var compilation = Compile(lines);
        var options = Options(lines);
        var analyzers = config switch
        {
            "binding" => ImmutableArray.Create<DiagnosticAnalyzer>(new NothingAnalyzer(NothingKind.Binding)),
            "binding+lockorder" => Analyzers().Add(new NothingAnalyzer(NothingKind.Binding)),
            _ => throw new ArgumentException("retained: config is binding or binding+lockorder", nameof(config)),
        };
        long before = LiveHeap();
        var driver = compilation.WithAnalyzers(analyzers, new CompilationWithAnalyzersOptions(options, null, concurrentAnalysis: true, logAnalyzerExecutionTime: false));
        var diagnostics = await driver.GetAllDiagnosticsAsync();
        long after = LiveHeap();
        Console.WriteLine($"retained {lines} {config}: {(after - before) / 1048576.0:F1} MB live after the analysis ({diagnostics.Length} diagnostics)");
        Record($"retained_mb.{config}.{lines}", (after - before) / 1048576.0);
        GC.KeepAlive(driver);
    }

    private static long LiveHeap()
    {
        System.Runtime.GCSettings.LargeObjectHeapCompactionMode = System.Runtime.GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    // ---- one edited document, as the IDE analyses it ---------------------------------------------------------

    /// <summary>
    /// One keystroke in a real project: the compiler's command line of a real build (a response file, with the
    /// directory its relative paths are against) gives the compilation; <paramref name="file"/> (a path ending) is
    /// the document edited. Per keystroke, as <see cref="Ide"/> measures the generated library: the compiler's
    /// semantic diagnostics of the document, an analyzer that does nothing, and LockOrder's live rules (total and own
    /// callbacks), an analyzer that binds every body of the document and LockOrder beside it (the IDE's and a build's
    /// arrangement, where other analyzers bind the document anyway), with how many bodies the engine analysed, whether
    /// the map of every type's overrides or the pass for delegates resolved by type was made, and, on a twin
    /// compilation, what that pass alone costs. No lockorder.json
    /// and no .editorconfig: the rules a project without a table runs. Source generators are not run, so a project that
    /// needs them does not compile this way (NLog, measured in docs/performance.md, needs none). Not in <c>all</c>: it
    /// needs a real project.
    /// </summary>
    private static async Task RealKey(string responseFile, string directory, string file, int runs)
    {
        var parsed = CSharpCommandLineParser.Default.Parse(new[] { "@" + Path.GetFullPath(responseFile) }, directory, sdkDirectory: null);
        var trees = parsed.SourceFiles.Select(f => CSharpSyntaxTree.ParseText(Microsoft.CodeAnalysis.Text.SourceText.From(File.ReadAllText(f.Path)), parsed.ParseOptions, f.Path)).ToList();
        var references = parsed.MetadataReferences.Select(r => (MetadataReference)MetadataReference.CreateFromFile(Path.IsPathRooted(r.Reference) ? r.Reference : Path.Combine(directory, r.Reference)));
        Compilation compilation = CSharpCompilation.Create(parsed.CompilationName ?? "Real", trees, references, parsed.CompilationOptions);
        var analyzers = Analyzers().Where(a => !a.SupportedDiagnostics.Any(d => d.CustomTags.Contains(WellKnownDiagnosticTags.CompilationEnd))).ToImmutableArray();
        var options = new AnalyzerOptions(ImmutableArray<AdditionalText>.Empty);
        var tree = compilation.SyntaxTrees.Single(t => t.FilePath.Replace('\\', '/').EndsWith("/" + file, StringComparison.Ordinal));
        var created = new System.Collections.Concurrent.ConcurrentBag<LockOrder.Engine.LockModel>();
        LockOrder.Engine.LockModel.Created += created.Add;
        var compilerTimes = new List<double>();
        var nothingTimes = new List<double>();
        var totals = new List<double>();
        var own = new List<double>();
        var byTypeTimes = new List<double>();
        var bindingTimes = new List<double>();
        var besideTimes = new List<double>();
        const int warmup = 5;
        for (int run = -warmup; run < runs; run++)
        {
            var (edited, next) = Keystroke(compilation, tree, run + warmup);
            var semanticModel = next.GetSemanticModel(edited);
            var watch = Stopwatch.StartNew();
            _ = semanticModel.GetDiagnostics();
            var compiler = watch.Elapsed.TotalMilliseconds;

            var nothing = await OnTwin(compilation, tree, edited, ImmutableArray.Create<DiagnosticAnalyzer>(new NothingAnalyzer()), options);

            // The pass for delegates resolved by type, alone, on a twin compilation of its own.
            var passTwin = compilation.ReplaceSyntaxTree(tree, edited);
            _ = passTwin.GetDeclarationDiagnostics();
            var passModel = LockOrder.Engine.LockModel.Uncached(passTwin, options, CancellationToken.None);
            watch.Restart();
            _ = passModel.CallGraph.Delegates.ByTypeWhole();
            var pass = watch.Elapsed.TotalMilliseconds;

            // As in the IDE or a build, where other analyzers bind the document's bodies anyway: one that binds every
            // body alone, then LockOrder beside it.
            var binding = await OnTwin(compilation, tree, edited, ImmutableArray.Create<DiagnosticAnalyzer>(new NothingAnalyzer(NothingKind.Binding)), options);
            var beside = await OnTwin(compilation, tree, edited, analyzers.Add(new NothingAnalyzer(NothingKind.Binding)), options);

            created.Clear();
            watch.Restart();
            var withAnalyzers = next.WithAnalyzers(analyzers, new CompilationWithAnalyzersOptions(options, null, concurrentAnalysis: true, logAnalyzerExecutionTime: true));
            _ = await withAnalyzers.GetAnalyzerSemanticDiagnosticsAsync(semanticModel, null, CancellationToken.None);
            var total = watch.Elapsed.TotalMilliseconds;
            double callbacks = 0;
            foreach (var analyzer in analyzers)
            {
                callbacks += (await withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None)).ExecutionTime.TotalMilliseconds;
            }

            Console.WriteLine(FormattableString.Invariant(
                $"  keystroke {run + warmup}: compiler {compiler:F1} ms, nothing {nothing:F1} ms, LockOrder {total:F1} ms (own {callbacks:F1} ms), binding {binding:F1} ms, binding+LockOrder {beside:F1} ms; bodies analysed {created.Sum(m => m.BodiesAnalyzed)}; every type walked: {created.Any(m => m.CallGraph.AllTypesWalked)}; delegates by type: {created.Any(m => m.CallGraph.Delegates.ByTypeBuilt)}, {created.Select(m => m.CallGraph.Delegates.TreesReadByType).DefaultIfEmpty().Max()} of {trees.Count} trees read (a pass over every tree alone {pass:F1} ms)"));
            if (run >= 0)
            {
                compilerTimes.Add(compiler);
                nothingTimes.Add(nothing);
                totals.Add(total);
                own.Add(callbacks);
                byTypeTimes.Add(pass);
                bindingTimes.Add(binding);
                besideTimes.Add(beside);
            }

            compilation = next;
            tree = edited;
        }

        Console.WriteLine(FormattableString.Invariant(
            $"realkey {file} ({trees.Count} files): compiler {Median(compilerTimes):F1} ms, nothing {Median(nothingTimes):F1} ms, LockOrder {Median(totals):F1} ms (own callbacks {Median(own):F1} ms); an analyzer that binds every body {Median(bindingTimes):F1} ms, LockOrder beside it {Median(besideTimes):F1} ms; a pass over every tree for delegates by type alone {Median(byTypeTimes):F1} ms"));
    }

    /// <summary>Milliseconds for <paramref name="analyzers"/> to analyse the edited document on a twin compilation of
    /// its own (the keystroke's compilation made again and warmed the same way), so that no measurement warms another's
    /// symbols or semantic models.</summary>
    private static async Task<double> OnTwin(Compilation compilation, SyntaxTree tree, SyntaxTree edited, ImmutableArray<DiagnosticAnalyzer> analyzers, AnalyzerOptions options)
    {
        var twin = compilation.ReplaceSyntaxTree(tree, edited);
        _ = twin.GetDeclarationDiagnostics();
        var watch = Stopwatch.StartNew();
        _ = await twin.WithAnalyzers(analyzers, new CompilationWithAnalyzersOptions(options, null, concurrentAnalysis: true, logAnalyzerExecutionTime: false))
            .GetAnalyzerSemanticDiagnosticsAsync(twin.GetSemanticModel(edited), null, CancellationToken.None);
        return watch.Elapsed.TotalMilliseconds;
    }

    /// <summary>A keystroke: the document changes (a comment added at its end), every other tree stays as it was, in a
    /// fresh compilation whose declarations are asked for, as any keystroke finds them warm in the IDE.</summary>
    private static (SyntaxTree Edited, Compilation Next) Keystroke(Compilation compilation, SyntaxTree tree, int number)
    {
        var text = tree.GetText();
        var edited = tree.WithChangedText(text.WithChanges(new Microsoft.CodeAnalysis.Text.TextChange(new Microsoft.CodeAnalysis.Text.TextSpan(text.Length, 0), $"// edit {number}\n")));
        var next = compilation.ReplaceSyntaxTree(tree, edited);
        _ = next.GetDeclarationDiagnostics();
        return (edited, next);
    }

    private static async Task Ide(int lines, int runs)
    {
        Compilation compilation = Compile(lines);
        var analyzers = Analyzers().Where(a => !a.SupportedDiagnostics.Any(d => d.CustomTags.Contains(WellKnownDiagnosticTags.CompilationEnd))).ToImmutableArray();
        var options = Options(lines);
        var compilerTimes = new List<double>();
        var analyzerTimes = new List<double>();
        var driverTimes = new List<double>();
        var callbackTimes = new List<double>();
        var ideCompilerTimes = new List<double>();
        var ideBothTimes = new List<double>();
        // The same document at every size: the generator is seeded, and its first file (ten lock classes and their
        // plain companions, one of which sleeps under its spinlock) is the same text in a 10k- and a 1M-line library.
        var tree = compilation.SyntaxTrees.First();
        // The first keystrokes are not counted: an IDE has run the compiler and the analyzers long before, and at a
        // small size the runtime would still be compiling the compiler's own methods during the measured runs.
        const int warmup = 8;
        for (int run = -warmup; run < runs; run++)
        {
            bool measured = run >= 0;
            var (edited, next) = Keystroke(compilation, tree, run + warmup);
            var semanticModel = next.GetSemanticModel(edited);
            var watch = Stopwatch.StartNew();
            _ = semanticModel.GetDiagnostics();
            if (measured)
            {
                compilerTimes.Add(watch.Elapsed.TotalMilliseconds);
            }

            // What the analyzer driver costs with an analyzer that does nothing (the same kind of action): a
            // CompilationWithAnalyzers clones the compilation, so its symbols are made again and its semantic
            // models bind afresh. In the IDE that cost is paid once per snapshot for every analyzer together.
            // Measured on a compilation of its own, made and warmed as the other, so that neither run warms the
            // other's symbols.
            var driverOnly = await OnTwin(compilation, tree, edited, ImmutableArray.Create<DiagnosticAnalyzer>(new NothingAnalyzer()), options);
            if (measured)
            {
                driverTimes.Add(driverOnly);
            }

            // The same document as the IDE analyses it: there the compiler's own diagnostics come from its compiler
            // analyzer (a semantic-model action), which runs in the same CompilationWithAnalyzers as every other
            // analyzer, so the clone and the driver's events are paid once for all. Measured both ways, each on a
            // twin compilation of its own, in alternating order: the compiler analyzer alone, and with LockOrder.
            for (int order = 0; order < 2; order++)
            {
                bool withLockOrder = (order == 0) == (run % 2 == 0);
                var ideAnalyzers = withLockOrder ? analyzers.Insert(0, new CompilerLikeAnalyzer()) : ImmutableArray.Create<DiagnosticAnalyzer>(new CompilerLikeAnalyzer());
                var inIde = await OnTwin(compilation, tree, edited, ideAnalyzers, options);
                if (measured)
                {
                    (withLockOrder ? ideBothTimes : ideCompilerTimes).Add(inIde);
                }
            }

            watch.Restart();
            var withAnalyzers = next.WithAnalyzers(analyzers, new CompilationWithAnalyzersOptions(options, null, concurrentAnalysis: true, logAnalyzerExecutionTime: true));
            _ = await withAnalyzers.GetAnalyzerSemanticDiagnosticsAsync(semanticModel, null, CancellationToken.None);
            if (measured)
            {
                analyzerTimes.Add(watch.Elapsed.TotalMilliseconds);
            }

            double ownTime = 0;
            foreach (var analyzer in analyzers)
            {
                ownTime += (await withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None)).ExecutionTime.TotalMilliseconds;
            }

            if (measured)
            {
                callbackTimes.Add(ownTime);
            }

            if (run == runs - 1 && Environment.GetEnvironmentVariable("LOCKORDER_PERF_DETAIL") == "1")
            {
                foreach (var analyzer in analyzers)
                {
                    var info = await withAnalyzers.GetAnalyzerTelemetryInfoAsync(analyzer, CancellationToken.None);
                    Console.WriteLine(FormattableString.Invariant($"  {analyzer.GetType().Name,-32} {info.ExecutionTime.TotalMilliseconds,8:F1} ms"));
                }
            }
            compilation = next;
            tree = edited;
        }

        double compiler = Median(compilerTimes), analysis = Median(analyzerTimes), driver = Median(driverTimes), callbacks = Median(callbackTimes);
        Console.WriteLine(FormattableString.Invariant(
            $"ide {lines} lines: one edited document: compiler {compiler:F1} ms, LockOrder {analysis:F1} ms ({analysis / compiler:F2}x); the driver with an analyzer that does nothing {driver:F1} ms; LockOrder's own callbacks {callbacks:F1} ms ({callbacks / compiler:F2}x)"));
        double ideCompiler = Median(ideCompilerTimes), ideBoth = Median(ideBothTimes);
        Console.WriteLine(FormattableString.Invariant(
            $"ide {lines} lines, as the IDE runs it (the compiler's diagnostics from its analyzer, in the same CompilationWithAnalyzers): compiler alone {ideCompiler:F1} ms, compiler and LockOrder {ideBoth:F1} ms ({ideBoth / ideCompiler:F2}x)"));
        Record($"ide.{lines}.analysis_ms", analysis);
        Record($"ide.{lines}.in_ide_compiler_ms", ideCompiler);
        Record($"ide.{lines}.in_ide_with_lockorder_ms", ideBoth);
        Record($"ide.{lines}.in_ide_ratio", ideBoth / ideCompiler);
        Record($"ide.{lines}.ratio_to_compiler", analysis / compiler);
        Record($"ide.{lines}.driver_alone_ms", driver);
        Record($"ide.{lines}.callbacks_ms", callbacks);
        Record($"ide.{lines}.callbacks_ratio_to_compiler", callbacks / compiler);
    }

    // ---- regression guard (not a timed test: a script compares two recorded tables) ------------------------

    /// <summary>Where each run appends its metrics (metric, tab, value): LOCKORDER_PERF_OUT, else
    /// tests/LockOrder.Benchmarks/results/latest.tsv (not tracked).</summary>
    private static string ResultsFile => Environment.GetEnvironmentVariable("LOCKORDER_PERF_OUT") is { Length: > 0 } path ? path
        : Path.Combine(BenchmarkDirectory(), "results", "latest.tsv");

    private static string BenchmarkDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LockOrder.Benchmarks.csproj")))
            {
                return dir.FullName;
            }
        }

        return Environment.CurrentDirectory;
    }

    private static void Record(string metric, double value)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(ResultsFile))!);
        File.AppendAllText(ResultsFile, FormattableString.Invariant($"{metric}\t{value:G6}\n"));
    }

    /// <summary>Compares a recorded table with a new one: every metric is lower-is-better; one that grew by more
    /// than 15% (and by more than noise: 0.05 for a ratio, 0.5 of the unit otherwise) is a regression, and the exit code says so.</summary>
    private static int Compare(string baselinePath, string latestPath)
    {
        static Dictionary<string, double> Read(string path) => File.ReadAllLines(path)
            .Select(l => l.Split('\t')).Where(p => p.Length == 2)
            .GroupBy(p => p[0]).ToDictionary(g => g.Key, g => double.Parse(g.Last()[1], CultureInfo.InvariantCulture));
        var baseline = Read(baselinePath);
        var latest = Read(latestPath);
        int regressions = 0;
        foreach (var (metric, old) in baseline.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!latest.TryGetValue(metric, out var now))
            {
                Console.WriteLine($"{metric,-44} {old,10:G4} {"-",10}  not measured");
                continue;
            }

            if (metric.EndsWith("driver_alone_ms", StringComparison.Ordinal))
            {
                // The analyzer driver's own cost with an analyzer that does nothing: context, not LockOrder's.
                Console.WriteLine(FormattableString.Invariant($"{metric,-44} {old,10:G4} {now,10:G4}  (for comparison)"));
                continue;
            }

            double floor = metric.EndsWith("ratio", StringComparison.Ordinal) || metric.EndsWith("to_compiler", StringComparison.Ordinal) ? 0.05 : 0.5;
            bool worse = now > old * 1.15 && now - old > floor;
            regressions += worse ? 1 : 0;
            Console.WriteLine(FormattableString.Invariant($"{metric,-44} {old,10:G4} {now,10:G4}  {(worse ? "REGRESSION" : "ok")}"));
        }

        return regressions == 0 ? 0 : 1;
    }

    // ---- helpers ------------------------------------------------------------------------------------

    private static CSharpCompilation Compile(int lines)
    {
        var trees = Generator.Files(lines).Select(f => CSharpSyntaxTree.ParseText(f.Text, path: f.Name)).ToList();
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).Select(p => MetadataReference.CreateFromFile(p));
        return CSharpCompilation.Create("Generated", trees, platform, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
    }

    /// <summary>The generated library's lock table, as the build passes it (an additional file).</summary>
    private static AnalyzerOptions Options(int lines)
        => new(ImmutableArray.Create<AdditionalText>(new InMemoryText("/generated/lockorder.json", Generator.Table(lines))));

    private sealed class InMemoryText(string path, string text) : AdditionalText
    {
        private readonly Microsoft.CodeAnalysis.Text.SourceText _text = Microsoft.CodeAnalysis.Text.SourceText.From(text);

        public override string Path { get; } = path;

        public override Microsoft.CodeAnalysis.Text.SourceText GetText(CancellationToken cancellationToken = default) => _text;
    }

    /// <summary>The analyzers the compiler loads from LockOrder's assembly: those with [DiagnosticAnalyzer] (each
    /// per-body rule is an analyzer of its own too, for tests, but ships inside BodyRulesAnalyzer).</summary>
    private static ImmutableArray<DiagnosticAnalyzer> Analyzers()
        => typeof(LockOrder.Rules.LockCycleAnalyzer).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(DiagnosticAnalyzer).IsAssignableFrom(t) && t.GetCustomAttributes(typeof(DiagnosticAnalyzerAttribute), false).Length > 0)
            .Select(t => (DiagnosticAnalyzer)Activator.CreateInstance(t)!).ToImmutableArray();

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted.Count == 0 ? double.NaN : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string Run(string file, string arguments, string directory)
    {
        var start = new ProcessStartInfo(file, arguments) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        var output = stdout.Result + stderr.Result;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {arguments} failed in {directory}:\n{output}");
        }

        return output;
    }
}

/// <summary>The compiler's own semantic diagnostics for a document as the IDE computes them: Roslyn's IDE gets them
/// from a compiler analyzer (one semantic-model action asking the model for its declaration and method-body
/// diagnostics), run in the same <see cref="CompilationWithAnalyzers"/> as the other analyzers. Roslyn's own is
/// internal to its IDE assemblies, so this one asks the same two questions; it reports nothing (the diagnostics are
/// the compiler's, not this analyzer's), which is all the measurement needs.</summary>
#pragma warning disable RS1001, RS1036, RS1041, RS2008
internal sealed class CompilerLikeAnalyzer : DiagnosticAnalyzer
{
    private static readonly DiagnosticDescriptor Rule = new("PERF001", "Compiler", "Compiler", "Performance", DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.Analyze | GeneratedCodeAnalysisFlags.ReportDiagnostics);
        context.EnableConcurrentExecution();
        context.RegisterSemanticModelAction(model =>
        {
            _ = model.SemanticModel.GetDeclarationDiagnostics(model.FilterSpan, model.CancellationToken);
            _ = model.SemanticModel.GetMethodBodyDiagnostics(model.FilterSpan, model.CancellationToken);
        });
    }
}
#pragma warning restore RS1001, RS1036, RS1041, RS2008

/// <summary>What an analyzer registers when it does nothing: the driver's own cost depends on the kind.</summary>
internal enum NothingKind
{
    /// <summary>A code-block action: the driver visits every declaration for it (LockOrder's kind).</summary>
    CodeBlock,

    /// <summary>A semantic-model action: once per syntax tree.</summary>
    SemanticModel,

    /// <summary>An operation action on every invocation: the driver binds every body for it, as it does for the .NET
    /// SDK's analyzers (CA1416 and others) in a default build.</summary>
    Binding,
}

/// <summary>An analyzer that does nothing, to measure what the analyzer driver costs by itself. Instantiated by the
/// harness only, never loaded by a compiler as an extension (hence no attribute, and the extension rules below do
/// not apply).</summary>
#pragma warning disable RS1001, RS1036, RS1041, RS2008
internal sealed class NothingAnalyzer(NothingKind kind = NothingKind.CodeBlock) : DiagnosticAnalyzer
{
    private static readonly DiagnosticDescriptor Rule = new("PERF000", "Nothing", "Nothing", "Performance", DiagnosticSeverity.Warning, isEnabledByDefault: true);

    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics => ImmutableArray.Create(Rule);

    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        switch (kind)
        {
            case NothingKind.CodeBlock:
                context.RegisterCompilationStartAction(start => start.RegisterCodeBlockAction(_ => { }));
                break;
            case NothingKind.SemanticModel:
                context.RegisterCompilationStartAction(start => start.RegisterSemanticModelAction(_ => { }));
                break;
            default:
                context.RegisterOperationAction(_ => { }, OperationKind.Invocation);
                break;
        }
    }
}
#pragma warning restore RS1001, RS1036, RS1041, RS2008

