using System;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using LockOrder.Engine;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace LockOrder.Tests;

/// <summary>Runs analyzers through the plain driver (CompilationWithAnalyzers), which, unlike the test verifier,
/// honours default severities and lets a test reach the model the driver used.</summary>
internal static class RawAnalysis
{
    public static CSharpCompilation Compile(string source, string assemblyName, bool allowUnsafe = false, string path = "C.cs")
    {
        var tree = CSharpSyntaxTree.ParseText(source, path: path);
        var references = Directory.GetFiles(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "*.dll")
            .Where(p => Path.GetFileName(p).StartsWith("System.", System.StringComparison.Ordinal) || Path.GetFileName(p) == "netstandard.dll")
            .Select(p => MetadataReference.CreateFromFile(p));
        return CSharpCompilation.Create(assemblyName, new[] { tree }, references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: allowUnsafe));
    }

    /// <summary>Source files compiled in memory against the whole platform (every assembly the test host trusts),
    /// with no error: what a test that reads other trees' semantics starts from.</summary>
    public static CSharpCompilation CompileWithPlatform(string assemblyName, params (string Path, string Source)[] files)
    {
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create(assemblyName, files.Select(f => CSharpSyntaxTree.ParseText(f.Source, path: f.Path)), platform,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        Xunit.Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()));
        return compilation;
    }

    /// <summary>A project of the bundled sample (sample-cache/<paramref name="project"/>) compiled in memory against the
    /// platform and the sample's kernel, with nullable on, as its build compiles it.</summary>
    public static CSharpCompilation CompileSample(string project, string assemblyName)
    {
        var folder = LockTableTests.RepoFile("sample-cache/" + project);
        var trees = Directory.GetFiles(folder, "*.cs").Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), path: f));
        var platform = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator).Select(p => MetadataReference.CreateFromFile(p));
        var kernel = MetadataReference.CreateFromFile(Path.Combine(AppContext.BaseDirectory, "SampleCache.Kernel.dll"));
        return CSharpCompilation.Create(assemblyName, trees, platform.Append(kernel),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
    }

    public static Task<ImmutableArray<Diagnostic>> Run(Compilation compilation, string? table, params DiagnosticAnalyzer[] analyzers)
        => compilation.WithAnalyzers(ImmutableArray.Create(analyzers), Options(table)).GetAnalyzerDiagnosticsAsync(CancellationToken.None);

    /// <summary>Runs <paramref name="run"/> and returns, with its result, the engine's model the driver made for the
    /// compilation named <paramref name="assemblyName"/> (null when none was made).</summary>
    public static async Task<(LockModel? Model, T Result)> SeeingModel<T>(string assemblyName, Func<Task<T>> run)
    {
        LockModel? seen = null;
        void OnCreated(LockModel model)
        {
            if (model.Compilation.AssemblyName == assemblyName)
            {
                seen = model;
            }
        }

        LockModel.Created += OnCreated;
        try
        {
            var result = await run();
            return (seen, result);
        }
        finally
        {
            LockModel.Created -= OnCreated;
        }
    }

    /// <summary>Every diagnostic with its message and locations, one line each, in a stable order: what a test that
    /// compares two ways of analysing compares.</summary>
    public static System.Collections.Generic.List<string> Lines(ImmutableArray<Diagnostic> diagnostics)
        => diagnostics
            .Select(d => d.Id + " " + Where(d.Location) + " " + d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)
                         + string.Concat(d.AdditionalLocations.Select(l => " | " + Where(l))))
            .OrderBy(s => s, StringComparer.Ordinal)
            .ToList();

    /// <summary>A location as file(line,column), or "-" outside source.</summary>
    public static string Where(Location location)
        => location.IsInSource
            ? FormattableString.Invariant($"{Path.GetFileName(location.SourceTree!.FilePath)}({location.GetLineSpan().Span.Start.Line + 1},{location.GetLineSpan().Span.Start.Character + 1})")
            : "-";

    /// <summary>Analyzer options with the table (if any) as the lockorder.json additional file.</summary>
    public static AnalyzerOptions Options(string? table)
        => new(table is null ? ImmutableArray<AdditionalText>.Empty : ImmutableArray.Create<AdditionalText>(new InMemoryText("lockorder.json", table)));

    private sealed class InMemoryText : AdditionalText
    {
        private readonly SourceText _text;

        public InMemoryText(string path, string text)
        {
            Path = path;
            _text = SourceText.From(text);
        }

        public override string Path { get; }

        public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
    }
}
