using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Xunit;

namespace LockOrder.Tests;

/// <summary>
/// The seed port repaired by LockOrder's own code fixes, applied one at a time until none is offered: what is left
/// is the checked-in list (sample-cache/SampleCache.Seed/remaining-after-fixes.txt, each with why no fix applies),
/// and the repaired cache still works (the seed's scenarios, run against it). The table is the kernel's and is
/// not edited: fixes that change lockorder.json are not applied.
/// </summary>
public class SeedFixTests
{
    private static readonly string[] TableEditingFixes = { LockOrder.CodeFixes.TableOrderFix.MoveRowKey, LockOrder.CodeFixes.AddTableRowFix.EquivalenceKey };

    [Fact]
    public async Task TheSeedRepairedByTheFixes_LeavesOnlyTheListedFindings_AndStillWorks()
    {
        var (project, applied) = await FixAll(SeedProject());
        var compilation = (await project.GetCompilationAsync())!;
        var remaining = (await compilation.WithAnalyzers(AllAnalyzers.Create(), project.AnalyzerOptions).GetAnalyzerDiagnosticsAsync())
            .Where(d => d.Id.StartsWith("LOCK", StringComparison.Ordinal) && d.Severity >= DiagnosticSeverity.Warning)
            .Select(d => $"{Path.GetFileName(d.Location.GetLineSpan().Path)} {d.Id} {Line(d)}")
            .OrderBy(s => s, StringComparer.Ordinal).ToList();

        var expected = File.ReadLines(LockTableTests.RepoFile("sample-cache/SampleCache.Seed/remaining-after-fixes.txt"))
            .Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => l.Split('#')[0].Trim())
            .OrderBy(s => s, StringComparer.Ordinal).ToList();
        Assert.True(expected.SequenceEqual(remaining), "applied:\n" + string.Join("\n", applied) + "\nremaining:\n" + string.Join("\n", remaining)
            + "\n--- fixed CachedDir.cs ---\n" + (await project.Documents.Single(d => d.Name == "CachedDir.cs").GetTextAsync()));
        Assert.NotEmpty(applied);

        // The repaired cache, compiled and run through the seed's scenarios.
        var scenario = CSharpSyntaxTree.ParseText(SourceText.From(Scenario), path: "Scenario.cs");
        var runnable = compilation.AddSyntaxTrees(scenario).WithAssemblyName("SampleCache.Seed.Fixed." + Guid.NewGuid().ToString("N"));
        using var image = new MemoryStream();
        var emitted = runnable.Emit(image);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        var assembly = System.Runtime.Loader.AssemblyLoadContext.Default.LoadFromStream(new MemoryStream(image.ToArray()));
        var report = (string)assembly.GetType("FixedSeedScenario")!.GetMethod("Run")!.Invoke(null, null)!;
        Assert.Equal(ExpectedReport, report);
    }

    /// <summary>What the seed's scenarios show on the repaired cache: the laundromat no longer puts a dentry under
    /// fid_lock, the entry is still freed, its handle closed, tc_count bumped and every dentry balanced; the open of
    /// a/b still walks the path under fid_lock (finding 2, which no fix repairs: see the list).</summary>
    private const string ExpectedReport = "laundromat: no sleep under fid_lock; freed=True open=0 tc=1 unbalanced=0 | open a/b: PathToDentry under fid_lock";

    private const string Scenario = """
        using System;
        using System.Linq;
        using System.Threading;
        using SampleCache.Kernel;
        using SampleCache.Seed;

        public static class FixedSeedScenario
        {
            public static string Run()
            {
                var laundromat = Laundromat();
                var open = OpenAB();
                return laundromat + " | " + open;
            }

            private static (CifsModule, SmbServer, CifsTcon, CifsSbInfo) Mount()
            {
                var module = new CifsModule(new JiffiesClock(), 30);
                var server = new SmbServer("share");
                server.AddFile(string.Empty, "root.txt");
                foreach (var dir in new[] { "a", "a/b", "c" })
                {
                    var stem = dir.Replace('/', '_');
                    server.CreateDirectory(dir, new[] { stem + ".1", stem + ".2", stem + ".3" });
                }

                var tcon = new CifsTcon(new CifsSes(new TcpServerInfo(server)), server, module) { MaxCachedDirs = 16 };
                return (module, server, tcon, new CifsSbInfo(tcon));
            }

            private static string Laundromat()
            {
                Kernel.ClearAtomicSleepViolations(); Kernel.ClearOopses();
                var (module, server, tcon, sb) = Mount();
                var cfids = CachedDir.InitCachedDirs(tcon);
                server.LeaseBreakHandler = CachedDir.CachedDirLeaseBreak;
                cfids.LaundromatWork.CancelSync();
                if (CachedDir.OpenCachedDir(tcon, string.Empty, sb, false, out var cfid) != 0 || cfid is null) return "open failed";
                CachedDir.CloseCachedDir(cfid);
                module.Clock.Advance((30 * JiffiesClock.HZ) + 1);
                CachedDir.RunLaundromat(cfids);
                module.FlushAll();
                var sleeps = Kernel.AtomicSleepViolations.Any(v => v.HeldLocks.Contains("cached_fid->fid_lock"));
                var unbalanced = sb.AllDentries().Count(d => d.RefCount != d.Baseline);
                var result = $"laundromat: {(sleeps ? "sleeps" : "no sleep")} under fid_lock; freed={cfid.Freed} open={server.OpenHandleCount} tc={tcon.TcCount} unbalanced={unbalanced}";
                CachedDir.FreeCachedDirs(cfids);
                module.Dispose();
                server.Dispose();
                return result;
            }

            private static string OpenAB()
            {
                Kernel.ClearAtomicSleepViolations(); Kernel.ClearOopses();
                var (module, server, tcon, sb) = Mount();
                var cfids = CachedDir.InitCachedDirs(tcon);
                server.LeaseBreakHandler = CachedDir.CachedDirLeaseBreak;
                if (CachedDir.OpenCachedDir(tcon, "a/b", sb, false, out var cfid) != 0 || cfid is null) return "open failed";
                CachedDir.CloseCachedDir(cfid);
                var walks = Kernel.AtomicSleepViolations.Any(v => v.Caller == nameof(Vfs.PathToDentry) && v.HeldLocks.Contains("cached_fid->fid_lock"));
                CachedDir.CloseAllCachedDirs(sb);
                CachedDir.FreeCachedDirs(cfids);
                module.FlushAll();
                module.Dispose();
                server.Dispose();
                return "open a/b: " + (walks ? "PathToDentry under fid_lock" : "no sleep under fid_lock");
            }
        }
        """;

    private static int Line(Diagnostic d) => d.Location.GetLineSpan().StartLinePosition.Line + 1;

    /// <summary>The seed's sources in a workspace project, with the kernel assembly and the repository's table.</summary>
    private static Project SeedProject()
    {
        var workspace = new AdhocWorkspace();
        var references = Directory.GetFiles(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "*.dll")
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll" or "Microsoft.Win32.Primitives.dll")
            .Append(Path.Combine(AppContext.BaseDirectory, "SampleCache.Kernel.dll"))
            .Select(p => MetadataReference.CreateFromFile(p));
        var project = workspace.AddProject(ProjectInfo.Create(ProjectId.CreateNewId(), VersionStamp.Default, "SampleCache.Seed", "SampleCache.Seed", LanguageNames.CSharp,
            compilationOptions: new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable),
            parseOptions: new CSharpParseOptions(LanguageVersion.Latest), metadataReferences: references));
        foreach (var file in Directory.GetFiles(LockTableTests.RepoFile("sample-cache/SampleCache.Seed"), "*.cs"))
        {
            project = project.AddDocument(Path.GetFileName(file), SourceText.From(File.ReadAllText(file)), filePath: file).Project;
        }

        var table = LockTableTests.RepoFile("lockorder.json");
        return project.AddAdditionalDocument("lockorder.json", SourceText.From(File.ReadAllText(table)), filePath: table).Project;
    }

    /// <summary>Applies the first code-changing fix offered for any LockOrder diagnostic, again and again, until none
    /// is offered (at most 50 times).</summary>
    private static async Task<(Project Project, List<string> Applied)> FixAll(Project project)
    {
        var providers = typeof(LockOrder.CodeFixes.DeferPastUnlockFix).Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(CodeFixProvider).IsAssignableFrom(t)).Select(t => (CodeFixProvider)Activator.CreateInstance(t)!).ToList();
        var applied = new List<string>();
        for (int round = 0; round < 50; round++)
        {
            var compilation = (await project.GetCompilationAsync())!;
            var diagnostics = (await compilation.WithAnalyzers(AllAnalyzers.Create(), project.AnalyzerOptions).GetAnalyzerDiagnosticsAsync())
                .Where(d => d.Id.StartsWith("LOCK", StringComparison.Ordinal) && d.Location.IsInSource).OrderBy(d => d.Location.SourceSpan.Start).ToList();
            Project? changed = null;
            foreach (var diagnostic in diagnostics)
            {
                var document = project.GetDocument(diagnostic.Location.SourceTree)!;
                foreach (var provider in providers.Where(p => p.FixableDiagnosticIds.Contains(diagnostic.Id)))
                {
                    var actions = new List<CodeAction>();
                    await provider.RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (a, _) => actions.Add(a), CancellationToken.None));
                    var action = actions.FirstOrDefault(a => !TableEditingFixes.Contains(a.EquivalenceKey));
                    if (action is null)
                    {
                        continue;
                    }

                    var operation = (await action.GetOperationsAsync(CancellationToken.None)).OfType<ApplyChangesOperation>().Single();
                    changed = operation.ChangedSolution.GetProject(project.Id)!;
                    applied.Add($"{diagnostic.Id} line {Line(diagnostic)}: {action.Title}");
                    break;
                }

                if (changed is not null)
                {
                    break;
                }
            }

            if (changed is null)
            {
                return (project, applied);
            }

            project = changed;
        }

        throw new InvalidOperationException("the fixes did not settle in 50 rounds:\n" + string.Join("\n", applied));
    }
}
