using System.Linq;
using System.Threading.Tasks;
using LockOrder.Rules;
using Microsoft.CodeAnalysis;
using Xunit;

namespace LockOrder.Tests;

/// <summary>
/// Another project of the solution is given to the analyzer as an assembly by <c>dotnet build</c>, but as a
/// compilation by the IDE (and by MSBuildWorkspace). Its methods then have syntax, in another compilation, which
/// this one cannot bind: they must be read as a build reads them, from what the table and the catalog say, so the
/// IDE shows what the build shows. The seed's own case: <c>Kref.Put</c> lives in the kernel project, and the table's
/// <c>invokes</c> says it runs its release callback.
/// </summary>
public class ProjectReferenceTests
{
    private const string Library = """
        namespace K;
        public sealed class Ref
        {
            public void Put(System.Action release) { release(); }
        }
        public static class Vfs
        {
            public static void Sleepy() { System.Threading.Thread.Sleep(1); }
        }
        """;

    private const string App = """
        using System.Threading;
        public class Entry
        {
            private SpinLock _spin = new SpinLock(false);
            private readonly K.Ref _ref = new K.Ref();
            public void Drop()
            {
                bool taken = false;
                try
                {
                    _spin.Enter(ref taken);
                    _ref.Put(Release);
                }
                finally { if (taken) _spin.Exit(); }
            }
            private static void Release() { Thread.Sleep(1); }
        }
        """;

    private const string Table = """
        { "locks": [ { "name": "entry->spin", "kind": "spinlock", "symbol": "Entry._spin" } ],
          "invokes": [ "K.Ref.Put" ] }
        """;

    private static async Task<string[]> Lock002(MetadataReference library)
    {
        var app = RawAnalysis.Compile(App, "App_" + System.Guid.NewGuid().ToString("N")).AddReferences(library);
        Assert.Empty(app.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));
        var diagnostics = await RawAnalysis.Run(app, Table, new SleepInAtomicAnalyzer());
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
        return diagnostics.Where(d => d.Id == "LOCK002").Select(d => d.GetMessage()).OrderBy(m => m, System.StringComparer.Ordinal).ToArray();
    }

    [Fact]
    public async Task A_library_project_reads_the_same_as_a_compilation_and_as_an_assembly()
    {
        var library = RawAnalysis.Compile(Library, "Lib_" + System.Guid.NewGuid().ToString("N"));
        Assert.Empty(library.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error));

        using var image = new System.IO.MemoryStream();
        Assert.True(library.Emit(image).Success);
        var asBuilt = await Lock002(MetadataReference.CreateFromImage(image.ToArray()));
        var asInTheIde = await Lock002(library.ToMetadataReference());

        // The build's finding: the release the put runs sleeps under the spinlock.
        var finding = Assert.Single(asBuilt);
        Assert.Contains("via Ref.Put -> Entry.Release", finding, System.StringComparison.Ordinal);
        Assert.Equal(asBuilt, asInTheIde);
    }
}
