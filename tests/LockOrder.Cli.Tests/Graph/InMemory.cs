using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using LockOrder.Cli;
using LockOrder.Cli.Graph;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace LockOrder.Cli.Tests.Graph;

/// <summary>Graphs of small in-memory projects: a compilation of the source against the running framework, and the
/// table as the project's additional file lockorder.json, given to the same builder the command uses.</summary>
internal static class InMemory
{
    private static readonly ImmutableArray<MetadataReference> Framework = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!)
        .Split(Path.PathSeparator).Where(p => Path.GetFileName(p).StartsWith("System", StringComparison.Ordinal) || Path.GetFileName(p) == "netstandard.dll")
        .Select(p => (MetadataReference)MetadataReference.CreateFromFile(p)).ToImmutableArray();

    public static CSharpCompilation Compile(string source, string path = "/src/Code.cs", params MetadataReference[] references)
        => CSharpCompilation.Create("T" + Guid.NewGuid().ToString("N"),
            new[] { CSharpSyntaxTree.ParseText(source, path: path) }, Framework.AddRange(references),
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, allowUnsafe: true));

    public static LockGraph Graph(string source, string? table = null) => Graph(Compile(source), table);

    public static LockGraph Graph(CSharpCompilation compilation, string? table = null)
    {
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        var files = table is null ? ImmutableArray<AdditionalText>.Empty : ImmutableArray.Create<AdditionalText>(new Text("/src/lockorder.json", table));
        var options = new AnalyzerOptions(files, NoConfig.Instance);
        var warnings = new List<string>();
        return GraphCommand.Build("Code.csproj", "/src", new[] { new LoadedProject("T", compilation, options) }, null, warnings.Add, CancellationToken.None);
    }

    /// <summary>The edges as (from name, to name, kind), declared ones left out unless asked for.</summary>
    public static List<(string From, string To, EdgeKind Kind)> Edges(LockGraph graph, bool declared = false)
        => graph.Edges.Where(e => declared || e.Kind != EdgeKind.Declared).Select(e => (graph.Node(e.From).Name, graph.Node(e.To).Name, e.Kind)).ToList();

    private sealed class Text : AdditionalText
    {
        private readonly string _content;

        public Text(string path, string content)
        {
            Path = path;
            _content = content;
        }

        public override string Path { get; }

        public override SourceText GetText(CancellationToken cancellationToken = default) => SourceText.From(_content);
    }

    private sealed class NoConfig : AnalyzerConfigOptionsProvider
    {
        public static readonly NoConfig Instance = new();

        public override AnalyzerConfigOptions GlobalOptions => Empty.Instance;

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => Empty.Instance;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => Empty.Instance;

        private sealed class Empty : AnalyzerConfigOptions
        {
            public static readonly Empty Instance = new();

            public override bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
            {
                value = null;
                return false;
            }
        }
    }
}
