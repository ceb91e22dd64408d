using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text.Json.Nodes;
using Xunit;

namespace LockOrder.Cli.Tests;

/// <summary>
/// The tool as a user gets it: <c>dotnet pack</c>, <c>dotnet tool install</c> from that folder, then the installed
/// <c>lockorder</c> command run as a process: <c>--help</c> lists both commands, <c>import</c> writes the 27 rows,
/// and <c>graph</c> finds MSBuild through the SDK that runs it and draws a project.
/// </summary>
public sealed class ToolInstallTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("lockorder-tool-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    [Fact]
    public void Packed_installed_and_run_as_the_lockorder_command()
    {
        var feed = Path.Combine(_root, "feed");
        var tools = Path.Combine(_root, "tools");
        var pack = Run("dotnet", $"pack \"{Repo.File("analyzers/LockOrder.Cli/LockOrder.Cli.csproj")}\" -c Release -nologo -o \"{feed}\" -p:UseSharedCompilation=false", _root);
        Assert.True(pack.Exit == 0, pack.Output);
        var package = Assert.Single(Directory.GetFiles(feed, "LockOrder.Cli.*.nupkg"));
        var version = Path.GetFileNameWithoutExtension(package)["LockOrder.Cli.".Length..];

        var install = Run("dotnet", $"tool install LockOrder.Cli --tool-path \"{tools}\" --add-source \"{feed}\" --version {version}", _root);
        Assert.True(install.Exit == 0, install.Output);
        var lockorder = Path.Combine(tools, OperatingSystem.IsWindows() ? "lockorder.exe" : "lockorder");
        Assert.True(File.Exists(lockorder), install.Output);

        var help = Run(lockorder, "--help", _root);
        Assert.Equal(0, help.Exit);
        Assert.Contains("import", help.Output, StringComparison.Ordinal);
        Assert.Contains("graph", help.Output, StringComparison.Ordinal);

        var table = Path.Combine(_root, "lockorder.json");
        var import = Run(lockorder, $"import \"{Repo.FixturePath}\" -o \"{table}\"", _root);
        Assert.True(import.Exit == 0, import.Output);
        Assert.Equal(27, JsonNode.Parse(File.ReadAllText(table))!["locks"]!.AsArray().Count);

        var graph = Run(lockorder, $"graph \"{Repo.File("sample-cache/SampleCache.Seed/SampleCache.Seed.csproj")}\" --format json", _root);
        Assert.True(graph.Exit == 0, graph.Output);
        var json = JsonNode.Parse(graph.Out)!;
        var forbidden = json["edges"]!.AsArray().Where(e => (string?)e!["kind"] == "forbidden").ToList();
        Assert.Equal(2, forbidden.Count);
    }

    private static (int Exit, string Output, string Out) Run(string file, string arguments, string directory)
    {
        var start = new ProcessStartInfo(file, arguments)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {arguments} did not finish in 10 minutes");
        }

        // Everything printed (for assertion messages), and standard output alone (the JSON graph is read from it).
        return (process.ExitCode, stdout.Result + stderr.Result, stdout.Result);
    }
}
