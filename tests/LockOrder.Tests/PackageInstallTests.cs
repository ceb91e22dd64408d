using System;
using System.IO;
using System.IO.Compression;
using System.Linq;
using System.Text.Json.Nodes;
using Xunit;

namespace LockOrder.Tests;

/// <summary>
/// Packs the LockOrder package once (Release, into a temporary folder feed) for the install tests. Offline: the
/// projects that install it restore from that folder only, into a package folder of their own.
/// </summary>
public sealed class PackedPackage : IDisposable
{
    public PackedPackage()
    {
        Directory.CreateDirectory(Feed);
        var (exit, output) = Dotnet.Run($"pack \"{LockTableTests.RepoFile("analyzers/LockOrder.Package/LockOrder.Package.csproj")}\" -c Release -nologo -o \"{Feed}\" -p:UseSharedCompilation=false", Root, timeoutMinutes: 10);
        Assert.True(exit == 0, output);
        Package = Assert.Single(Directory.GetFiles(Feed, "LockOrder.*.nupkg"));
    }

    public string Root { get; } = Path.Combine(Path.GetTempPath(), "lockorder-pkg-" + Guid.NewGuid().ToString("N"));

    public string Feed => Path.Combine(Root, "feed");

    public string Package { get; }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}

/// <summary>
/// LockOrder installed as a user installs it: <c>dotnet add package LockOrder</c> in a fresh project, a
/// lockorder.json dropped next to it (no AdditionalFiles written by hand), <c>dotnet build</c>.
/// </summary>
public sealed class PackageInstallTests : IClassFixture<PackedPackage>
{
    private const string Source = """
        using System.Threading;
        namespace App;
        public class Cache
        {
            private readonly object _listLock = new object();
            private readonly Entry _entry = new Entry();
            public void Evict() { lock (_entry.Gate) { lock (_listLock) { } } }
        }
        public class Entry
        {
            public readonly object Gate = new object();
            private SpinLock _spin = new SpinLock(false);
            public void Touch()
            {
                bool taken = false;
                try { _spin.Enter(ref taken); Thread.Sleep(1); }
                finally { if (taken) _spin.Exit(); }
            }
        }
        """;

    private const string Table = """
        {
          "locks": [
            { "name": "cache->list_lock", "kind": "mutex", "symbol": "App.Cache._listLock" },
            { "name": "entry->gate", "kind": "mutex", "symbol": "App.Entry.Gate" },
            { "name": "entry->spin", "kind": "spinlock", "symbol": "App.Entry._spin" }
          ]
        }
        """;

    private readonly PackedPackage _package;

    public PackageInstallTests(PackedPackage package) => _package = package;

    [Fact]
    public void ThePackageHasTheAnalyzerLayout()
    {
        using var zip = ZipFile.OpenRead(_package.Package);
        var entries = zip.Entries.Select(e => e.FullName).ToList();
        Assert.DoesNotContain(entries, e => e.StartsWith("lib/", StringComparison.Ordinal));
        Assert.Contains("analyzers/dotnet/cs/LockOrder.Analyzers.dll", entries);
        Assert.Contains("analyzers/dotnet/cs/LockOrder.CodeFixes.dll", entries);
        Assert.Contains("buildTransitive/LockOrder.props", entries);
        Assert.Contains("buildTransitive/LockOrder.targets", entries);
        Assert.Contains("tasks/net8.0/LockOrder.Build.dll", entries);
        Assert.Contains("lockorder.schema.json", entries);
        Assert.Contains("README.md", entries);

        using var nuspec = new StreamReader(zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
        var metadata = System.Xml.Linq.XDocument.Parse(nuspec.ReadToEnd()).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        string Field(string name) => metadata.Elements().Single(e => e.Name.LocalName == name).Value;
        Assert.Equal("LockOrder", Field("id"));
        Assert.Equal("true", Field("developmentDependency"));
        Assert.Equal("MIT", Field("license"));
        Assert.Equal("README.md", Field("readme"));
        Assert.Contains("LOCK001", Field("releaseNotes"), StringComparison.Ordinal);
        Assert.DoesNotContain("Package Description", Field("description"), StringComparison.Ordinal);
        Assert.DoesNotContain(metadata.Elements(), e => e.Name.LocalName == "dependencies" && e.HasElements);
    }

    [Fact]
    public void InstalledFromAFeed_WithATableNextToTheProject_TheRulesReport_AndTheSarifLogHasMessages()
    {
        var project = NewProject("Next");
        File.WriteAllText(Path.Combine(project, "lockorder.json"), Table);
        var (exit, output) = Dotnet.Run("build -nologo -p:UseSharedCompilation=false -p:ErrorLog=build.sarif%2Cversion=2.1", project);
        Assert.True(exit == 0, output);

        var warnings = output.Split('\n').Where(l => l.Contains(": warning LOCK", StringComparison.Ordinal)).Select(l => l.Trim()).Distinct().ToList();
        Assert.True(warnings.Count == 2, string.Join("\n", warnings) + "\n" + output);
        Assert.True(warnings.Any(w => w.Contains("Code.cs(7,48): warning LOCK001", StringComparison.Ordinal)
            && w.Contains("'cache->list_lock' (row 1) is acquired while 'entry->gate' (row 2) is held", StringComparison.Ordinal)), string.Join("\n", warnings));
        Assert.True(warnings.Any(w => w.Contains("Code.cs(16,39): warning LOCK002", StringComparison.Ordinal)
            && w.Contains("'Thread.Sleep' may sleep, but spinlock 'entry->spin' (row 3) is held", StringComparison.Ordinal)), string.Join("\n", warnings));

        // The package's build step put each related location's message on the log.
        var log = JsonNode.Parse(File.ReadAllText(Path.Combine(project, "build.sarif")))!;
        var results = log["runs"]![0]!["results"]!.AsArray().Where(r => r!["ruleId"]!.GetValue<string>().StartsWith("LOCK", StringComparison.Ordinal)).ToList();
        var order = Assert.Single(results, r => r!["ruleId"]!.GetValue<string>() == "LOCK001")!;
        var related = order["relatedLocations"]!.AsArray();
        Assert.Equal("'entry->gate' (row 2) is acquired here", related[0]!["message"]!["text"]!.GetValue<string>());
        Assert.Equal(1, related[0]!["id"]!.GetValue<int>());
        Assert.All(results, r => Assert.All(r!["relatedLocations"]?.AsArray() ?? new JsonArray(), l => Assert.NotNull(l!["message"])));
        var rule = log["runs"]![0]!["tool"]!["driver"]!["rules"]!.AsArray().Single(r => r!["id"]!.GetValue<string>() == "LOCK001")!;
        Assert.EndsWith("/docs/rules/LOCK001.md", rule["helpUri"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public void ATableInAFolderAbove_ServesTheProject_AndNoTableIsSaidOnce()
    {
        var project = NewProject("Above");
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(project)!, "lockorder.json"), Table);
        var (exit, output) = Dotnet.Run("build -nologo -p:UseSharedCompilation=false", project);
        Assert.True(exit == 0, output);
        Assert.Contains("warning LOCK001", output, StringComparison.Ordinal);

        // Without any table: the table-free rules still report; LOCK001 is off.
        File.Delete(Path.Combine(Path.GetDirectoryName(project)!, "lockorder.json"));
        (exit, output) = Dotnet.Run("build -nologo --no-incremental -p:UseSharedCompilation=false -p:ErrorLog=none.sarif%2Cversion=2.1", project);
        Assert.True(exit == 0, output);
        Assert.DoesNotContain("warning LOCK001", output, StringComparison.Ordinal);
        Assert.Contains("warning LOCK002", output, StringComparison.Ordinal);
        var log = JsonNode.Parse(File.ReadAllText(Path.Combine(project, "none.sarif")))!;
        Assert.Single(log["runs"]![0]!["results"]!.AsArray(), r => r!["ruleId"]!.GetValue<string>() == "LOCK105");
    }

    [Fact]
    public void DotnetFormat_AppliesTheDeferFix()
    {
        var project = NewProject("Format");
        File.WriteAllText(Path.Combine(project, "lockorder.json"), Table);
        File.WriteAllText(Path.Combine(project, "Code.cs"), """
            using System.Threading;
            namespace App;
            public class Entry
            {
                private SpinLock _spin = new SpinLock(false);
                private int _n;
                public void Touch()
                {
                    bool taken = false;
                    _spin.Enter(ref taken);
                    try
                    {
                        _n++;
                        Thread.Sleep(1);
                    }
                    finally
                    {
                        if (taken) _spin.Exit();
                    }
                }
            }
            """);
        var (exit, output) = Dotnet.Run("format analyzers --diagnostics LOCK002 --verbosity diagnostic", project);
        Assert.True(exit == 0, output);
        var fixedCode = File.ReadAllText(Path.Combine(project, "Code.cs")).Replace("\r\n", "\n", StringComparison.Ordinal);
        Assert.True(fixedCode.Contains("""
                    finally
                    {
                        if (taken) _spin.Exit();
                    }

                    Thread.Sleep(1);
            """.Replace("\r\n", "\n", StringComparison.Ordinal), StringComparison.Ordinal), fixedCode + "\n" + output);

        // And the build has nothing left to say about it.
        (exit, output) = Dotnet.Run("build -nologo -p:UseSharedCompilation=false", project);
        Assert.True(exit == 0, output);
        Assert.DoesNotContain("warning LOCK002", output, StringComparison.Ordinal);
    }

    /// <summary>A fresh class library in its own folder (under a parent folder of its own), with the package added
    /// from the feed as the README says: <c>dotnet add package LockOrder</c>.</summary>
    private string NewProject(string name)
    {
        var parent = Path.Combine(_package.Root, name);
        var project = Path.Combine(parent, "App");
        Directory.CreateDirectory(project);
        File.WriteAllText(Path.Combine(parent, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <config><add key="globalPackagesFolder" value="{Path.Combine(parent, "packages")}" /></config>
              <packageSources><clear /><add key="local" value="{_package.Feed}" /></packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(project, "App.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
              </PropertyGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(project, "Code.cs"), Source);
        var (exit, output) = Dotnet.Run("add package LockOrder", project);
        Assert.True(exit == 0, output);
        return project;
    }
}
