using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using System.Threading.Tasks;
using LockOrder.Rules;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Xunit;

namespace LockOrder.Tests;

/// <summary>
/// The ground truth: on the seed port LockOrder reports exactly the checked-in expected list (the five review
/// findings), and on the corrected reference cache nothing at all.
/// </summary>
public class SeedFindingsTests
{
    [Fact]
    public async Task SeedPort_InMemory_EqualsTheExpectedList()
    {
        var diagnostics = await Analyze("SampleCache.Seed");
        var actual = diagnostics.Where(d => d.Id.StartsWith("LOCK", StringComparison.Ordinal) && d.Severity >= DiagnosticSeverity.Warning)
            .Select(d => Key(Path.GetFileName(d.Location.GetLineSpan().Path), d.Location.GetLineSpan().StartLinePosition.Line + 1, d.Id, d.GetMessage()));
        AssertSameFindings(Expected(), actual);
        Assert.DoesNotContain(diagnostics, d => d.Id == "AD0001");
    }

    [Fact]
    public async Task Reference_InMemory_HasNoLockDiagnosticAtAnySeverity()
    {
        var diagnostics = await Analyze("SampleCache.Reference");
        Assert.Empty(diagnostics.Where(d => d.Id.StartsWith("LOCK", StringComparison.Ordinal) && d.Id != "LOCK104" || d.Id == "AD0001").Select(d => d.ToString()));
    }

    [Fact]
    public async Task SeedPort_RealDotnetBuild_EqualsTheExpectedList()
    {
        var dir = Path.Combine(Path.GetTempPath(), "lockorder-seed-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var seed = LockTableTests.RepoFile("sample-cache/SampleCache.Seed");
            File.WriteAllText(Path.Combine(dir, "Seed.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <TargetFramework>net10.0</TargetFramework>
                    <Nullable>enable</Nullable>
                    <AssemblyName>SampleCache.Seed</AssemblyName>
                    <EnableDefaultCompileItems>false</EnableDefaultCompileItems>
                  </PropertyGroup>
                  <ItemGroup>
                    <Compile Include="{seed}/*.cs" />
                    <Reference Include="{Path.Combine(AppContext.BaseDirectory, "SampleCache.Kernel.dll")}" />
                    <Analyzer Include="{Path.Combine(AppContext.BaseDirectory, "LockOrder.Analyzers.dll")}" />
                    <AdditionalFiles Include="{LockTableTests.RepoFile("lockorder.json")}" />
                  </ItemGroup>
                </Project>
                """);
            var start = new ProcessStartInfo("dotnet", "build -nologo -nodeReuse:false -p:UseSharedCompilation=false") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true };
            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new System.Threading.CancellationTokenSource(TimeSpan.FromMinutes(5));
            await process.WaitForExitAsync(timeout.Token);
            var output = await stdout + await stderr;
            Assert.True(process.ExitCode == 0, output);

            var line = new Regex(@"[\\/](?<file>[^\\/(]+)\((?<line>\d+),\d+\): warning (?<id>LOCK\d+): (?<message>.*?)( \(https?://[^)]*\))? \[", RegexOptions.CultureInvariant);
            var actual = output.Split('\n').Select(l => line.Match(l)).Where(m => m.Success)
                .Select(m => Key(m.Groups["file"].Value, int.Parse(m.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups["id"].Value, m.Groups["message"].Value))
                .Distinct(); // msbuild repeats warnings in its summary
            AssertSameFindings(Expected(), actual);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>file:line rule quoted-names [via chain], the columns of expected-findings.txt.</summary>
    internal static string Key(string file, int line, string id, string message)
    {
        var text = Regex.Replace(message, @"\s\(row \d+\)", "");
        var via = Regex.Match(text, @"\(via (?<chain>[^)]*)\)");
        if (via.Success)
        {
            text = text.Remove(via.Index, via.Length);
        }

        var names = Regex.Matches(text, "'([^']+)'").Select(m => m.Groups[1].Value).Distinct().ToList();
        return $"{file}:{line} {id} {string.Join("; ", names)}" + (via.Success ? " via " + via.Groups["chain"].Value.Replace("'", "", StringComparison.Ordinal) : "");
    }

    private static List<string> Expected()
        => File.ReadAllLines(LockTableTests.RepoFile("sample-cache/SampleCache.Seed/expected-findings.txt"))
            .Select(l => (l.IndexOf(" #", StringComparison.Ordinal) is int i and >= 0 ? l.Substring(0, i) : l).Trim())
            .Where(l => l.Length > 0 && !l.StartsWith('#'))
            .ToList();

    private static void AssertSameFindings(List<string> expected, IEnumerable<string> actual)
    {
        var actualList = actual.ToList();
        var missing = expected.Except(actualList).ToList();
        var extra = actualList.Except(expected).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0 && expected.Count == actualList.Count,
            $"expected {expected.Count}, got {actualList.Count}\nmissing:\n  {string.Join("\n  ", missing)}\nextra:\n  {string.Join("\n  ", extra)}");
        Assert.Equal(20, expected.Count);
    }

    private static async Task<ImmutableArray<Diagnostic>> Analyze(string project)
    {
        var compilation = RawAnalysis.CompileSample(project, project);
        Assert.Empty(compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.ToString()));
        return await RawAnalysis.Run(compilation, File.ReadAllText(LockTableTests.RepoFile("lockorder.json")), AllAnalyzers.Create().ToArray());
    }
}
