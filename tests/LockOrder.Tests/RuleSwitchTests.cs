using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using LockOrder.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace LockOrder.Tests;

/// <summary>
/// When a rule of the bundle is skipped (<see cref="RuleSwitch"/>): only when every setting that could turn it on says
/// it is off. The compilations come from a workspace with real config documents, which builds the per-tree and global
/// options the way the build and the IDE do.
/// </summary>
public class RuleSwitchTests
{
    private static async Task<bool> MayReport(string id, CompilationOptionsEdit? edit, params (string Path, string Text)[] configs)
    {
        var (compilation, options) = await Project("class A { }", edit, configs);
        var descriptor = BodyRulesAnalyzer.Rules.SelectMany(r => r.SupportedDiagnostics).Single(d => d.Id == id);
        return RuleSwitch.MayReport(descriptor, compilation, options, CancellationToken.None);
    }

    /// <summary>A project of two trees, /src/A.cs (<paramref name="source"/>) and /src/sub/B.cs, with the config files.</summary>
    private static async Task<(Compilation Compilation, AnalyzerOptions Options)> Project(string source, CompilationOptionsEdit? edit, params (string Path, string Text)[] configs)
    {
        using var workspace = new AdhocWorkspace();
        var project = workspace.AddProject(ProjectInfo.Create(ProjectId.CreateNewId(), VersionStamp.Create(), "P", "P", LanguageNames.CSharp,
            filePath: "/src/P.csproj", compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary),
            metadataReferences: RawAnalysis.Compile("", "References").References));
        project = project.AddDocument("A.cs", SourceText.From(source), filePath: "/src/A.cs").Project;
        project = project.AddDocument("B.cs", SourceText.From("class B { }"), filePath: "/src/sub/B.cs").Project;
        foreach (var (path, text) in configs)
        {
            project = project.AddAnalyzerConfigDocument(System.IO.Path.GetFileName(path), SourceText.From(text), filePath: path).Project;
        }

        if (edit is not null)
        {
            project = project.WithCompilationOptions(edit(project.CompilationOptions!));
        }

        return ((await project.GetCompilationAsync())!, project.AnalyzerOptions);
    }

    private const string Waits = """
        using System.Threading;
        using System.Threading.Tasks;
        class C
        {
            private readonly object _gate = new object();
            private SpinLock _spin = new SpinLock(false);
            void M(Task<int> t)
            {
                lock (_gate)
                {
                    t.Wait();
                    Thread.Sleep(1);
                }
            }
            void N()
            {
                bool taken = false;
                _spin.Enter(ref taken);
                Thread.Sleep(1);
                _spin.Exit();
            }
        }
        """;

    // End to end, through the shipped bundle: a rule that is off is not run at all, so each setting that can turn a
    // rule on must find it running (LOCK009 is off by default and only its own setting turns it on; bulk settings do
    // not, as the compiler applies them only to rules on by default), and a rule turned off stays off.
    [Theory]
    [InlineData("LOCK009", null, null, 0)]
    [InlineData("LOCK009", "/src/.editorconfig", "root = true\n[*.cs]\ndotnet_diagnostic.LOCK009.severity = warning\n", 2)]
    [InlineData("LOCK009", "/src/.globalconfig", "is_global = true\ndotnet_diagnostic.LOCK009.severity = warning\n", 2)]
    [InlineData("LOCK009", "/src/.editorconfig", "root = true\n[*.cs]\ndotnet_analyzer_diagnostic.category-LockOrder.AtomicContext.severity = warning\n", 0)]
    [InlineData("LOCK009", "/src/.editorconfig", "root = true\n[*.cs]\ndotnet_analyzer_diagnostic.severity = warning\n", 0)]
    [InlineData("LOCK009", "/src/.editorconfig", "root = true\n[*.cs]\ndotnet_diagnostic.LOCK009.severity = warning\ndotnet_analyzer_diagnostic.severity = none\n", 2)]
    [InlineData("LOCK002", null, null, 1)]
    [InlineData("LOCK002", "/src/.editorconfig", "root = true\n[*.cs]\ndotnet_analyzer_diagnostic.severity = none\n", 0)]
    [InlineData("LOCK002", "/src/.editorconfig", "root = true\n[*.cs]\ndotnet_analyzer_diagnostic.severity = none\ndotnet_analyzer_diagnostic.category-LockOrder.AtomicContext.severity = warning\n", 1)]
    [InlineData("LOCK002", "/src/.editorconfig", "root = true\n[*.cs]\ndotnet_diagnostic.LOCK002.severity = none\n", 0)]
    [InlineData("LOCK002", "/src/.editorconfig", "root = true\n[*.cs]\ndotnet_analyzer_diagnostic.category-LockOrder.AtomicContext.severity = none\ndotnet_diagnostic.LOCK002.severity = error\n", 1)]
    public async Task TheBundle_RunsARuleExactlyWhereASettingLeavesItOn(string id, string? path, string? text, int expected)
    {
        var (compilation, options) = await Project(Waits, null, path is null ? System.Array.Empty<(string, string)>() : new[] { (path, text!) });
        var diagnostics = await compilation.WithAnalyzers(System.Collections.Immutable.ImmutableArray.Create<DiagnosticAnalyzer>(new BodyRulesAnalyzer()), options)
            .GetAnalyzerDiagnosticsAsync(CancellationToken.None);
        Assert.Equal(expected, diagnostics.Count(d => d.Id == id));
    }

    private delegate CompilationOptions CompilationOptionsEdit(CompilationOptions options);

    private static CompilationOptionsEdit Specific(string id, ReportDiagnostic value)
        => o => o.WithSpecificDiagnosticOptions(o.SpecificDiagnosticOptions.SetItem(id, value));

    [Fact]
    public async Task WithoutSettings_TheDefaultDecides()
    {
        Assert.True(await MayReport("LOCK001", null));
        Assert.False(await MayReport("LOCK009", null));
    }

    [Fact]
    public async Task CompilationOptions_TurnOnAndOff()
    {
        Assert.True(await MayReport("LOCK009", Specific("LOCK009", ReportDiagnostic.Warn)));
        Assert.True(await MayReport("LOCK009", Specific("LOCK009", ReportDiagnostic.Default)));
        Assert.False(await MayReport("LOCK001", Specific("LOCK001", ReportDiagnostic.Suppress)));
    }

    [Fact]
    public async Task EditorConfig_OnInOneTreeIsOn_OffInOneTreeIsStillOn()
    {
        Assert.True(await MayReport("LOCK009", null, ("/src/sub/.editorconfig", "[*.cs]\ndotnet_diagnostic.LOCK009.severity = suggestion\n")));
        Assert.True(await MayReport("LOCK001", null, ("/src/sub/.editorconfig", "[*.cs]\ndotnet_diagnostic.LOCK001.severity = none\n")));
        Assert.False(await MayReport("LOCK001", null, ("/src/.editorconfig", "root = true\n[*.cs]\ndotnet_diagnostic.LOCK001.severity = none\n")));
    }

    [Fact]
    public async Task EditorConfig_ATreeOverridesTheCompilationOptions()
    {
        Assert.True(await MayReport("LOCK001", Specific("LOCK001", ReportDiagnostic.Suppress),
            ("/src/sub/.editorconfig", "[*.cs]\ndotnet_diagnostic.LOCK001.severity = warning\n")));
    }

    [Fact]
    public async Task GlobalConfig_TurnsOnAndOff()
    {
        Assert.True(await MayReport("LOCK009", null, ("/src/.globalconfig", "is_global = true\ndotnet_diagnostic.LOCK009.severity = warning\n")));
        Assert.False(await MayReport("LOCK001", null, ("/src/.globalconfig", "is_global = true\ndotnet_diagnostic.LOCK001.severity = none\n")));
    }

    [Theory]
    [InlineData("LOCK009", "/src/.editorconfig", "root = true\n[*.cs]\ndotnet_analyzer_diagnostic.severity = warning\n", false)]
    [InlineData("LOCK009", "/src/sub/.editorconfig", "[*.cs]\ndotnet_analyzer_diagnostic.category-LockOrder.AtomicContext.severity = error\n", false)]
    [InlineData("LOCK009", "/src/.globalconfig", "is_global = true\ndotnet_analyzer_diagnostic.category-LockOrder.AtomicContext.severity = warning\n", false)]
    [InlineData("LOCK001", "/src/.editorconfig", "root = true\n[*.cs]\ndotnet_analyzer_diagnostic.severity = none\n", false)]
    [InlineData("LOCK001", "/src/.editorconfig", "root = true\n[*.cs]\ndotnet_analyzer_diagnostic.category-LockOrder.Ordering.severity = none\n", false)]
    [InlineData("LOCK001", "/src/.editorconfig", "root = true\n[*.cs]\ndotnet_analyzer_diagnostic.category-LockOrder.AtomicContext.severity = none\n", true)]
    [InlineData("LOCK001", "/src/.editorconfig", "root = true\n[*.cs]\ndotnet_analyzer_diagnostic.severity = none\ndotnet_analyzer_diagnostic.category-LockOrder.Ordering.severity = suggestion\n", true)]
    [InlineData("LOCK001", "/src/.editorconfig", "root = true\n[*.cs]\ndotnet_analyzer_diagnostic.severity = warning\ndotnet_analyzer_diagnostic.category-LockOrder.Ordering.severity = none\n", false)]
    [InlineData("LOCK001", "/src/.globalconfig", "is_global = true\ndotnet_analyzer_diagnostic.severity = none\n", false)]
    public async Task BulkSettings_TurnOffOrKeepOnOnlyRulesOnByDefault(string id, string path, string text, bool on)
    {
        Assert.Equal(on, await MayReport(id, null, (path, text)));
    }

    [Fact]
    public async Task BulkSettings_DoNotApplyWhereTheRuleHasASettingOfItsOwn()
    {
        Assert.False(await MayReport("LOCK009", null,
            ("/src/.editorconfig", "root = true\n[*.cs]\ndotnet_analyzer_diagnostic.severity = warning\ndotnet_diagnostic.LOCK009.severity = none\n")));
        Assert.False(await MayReport("LOCK001", Specific("LOCK001", ReportDiagnostic.Suppress),
            ("/src/.editorconfig", "root = true\n[*.cs]\ndotnet_analyzer_diagnostic.severity = warning\n")));
        Assert.True(await MayReport("LOCK001", null,
            ("/src/.editorconfig", "root = true\n[*.cs]\ndotnet_analyzer_diagnostic.severity = none\n"),
            ("/src/sub/.editorconfig", "[*.cs]\ndotnet_diagnostic.LOCK001.severity = warning\n")));
    }
}
