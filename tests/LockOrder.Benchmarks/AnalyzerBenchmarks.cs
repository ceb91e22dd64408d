using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Running;
using LockOrder.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace LockOrder.Benchmarks;

/// <summary>
/// What a build pays for LockOrder: every rule over a whole sample compilation (each iteration a fresh
/// compilation, so nothing is cached across iterations), and the cycle rule alone, whose compilation-end pass
/// is the only whole-compilation step.
/// </summary>
[MemoryDiagnoser]
public class AnalyzerBenchmarks
{
    private Compilation _seed = null!;
    private Compilation _reference = null!;
    private AnalyzerOptions _options = null!;

    [GlobalSetup]
    public void Setup()
    {
        _seed = Compile("SampleCache.Seed");
        _reference = Compile("SampleCache.Reference");
        _options = new AnalyzerOptions(ImmutableArray.Create<AdditionalText>(new Text(Repo("lockorder.json"))));
    }

    [Benchmark]
    public Task<ImmutableArray<Diagnostic>> SeedAllRules() => Run(_seed, AllRules());

    [Benchmark]
    public Task<ImmutableArray<Diagnostic>> ReferenceAllRules() => Run(_reference, AllRules());

    [Benchmark]
    public Task<ImmutableArray<Diagnostic>> SeedCycleRuleOnly() => Run(_seed, new DiagnosticAnalyzer[] { new LockCycleAnalyzer() });

    private Task<ImmutableArray<Diagnostic>> Run(Compilation compilation, DiagnosticAnalyzer[] analyzers)
        => compilation.Clone().WithAnalyzers(ImmutableArray.Create(analyzers), _options).GetAnalyzerDiagnosticsAsync(CancellationToken.None);

    private static DiagnosticAnalyzer[] AllRules() => new DiagnosticAnalyzer[]
    {
        new DeclaredOrderAnalyzer(), new SleepInAtomicAnalyzer(), new SelfDeadlockAnalyzer(), new UnbalancedLockingAnalyzer(),
        new UnlistedLockAnalyzer(), new ProtectedMemberAnalyzer(), new AwaitUnderLockAnalyzer(), new LockCycleAnalyzer(),
        new WaitUnderSleepingLockAnalyzer(), new HeldWhileFreedAnalyzer(), new LockTableAnalyzer(),
    };

    private static Compilation Compile(string project)
    {
        var trees = Directory.GetFiles(Repo("sample-cache/" + project), "*.cs").Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), path: f));
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).Select(p => MetadataReference.CreateFromFile(p));
        var kernel = MetadataReference.CreateFromFile(typeof(SampleCache.Kernel.Spinlock).Assembly.Location);
        return CSharpCompilation.Create(project, trees, platform.Append(kernel),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
    }

    private static string Repo(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LockOrder.sln")))
            {
                return Path.Combine(dir.FullName, relative);
            }
        }

        throw new InvalidOperationException("run from inside the repository");
    }

    private sealed class Text : AdditionalText
    {
        private readonly SourceText _text;

        public Text(string path)
        {
            Path = path;
            _text = SourceText.From(File.ReadAllText(path));
        }

        public override string Path { get; }

        public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
    }
}

