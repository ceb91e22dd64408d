using System;
using System.CommandLine;
using System.IO;
using System.Text.Json.Nodes;
using Xunit;

namespace LockOrder.Cli.Tests;

/// <summary>The <c>lockorder</c> command line, through System.CommandLine's parser as the tool runs it.</summary>
public sealed class CommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("lockorder-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Exit, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = Program.CreateRoot().Parse(args).Invoke(new InvocationConfiguration { Output = output, Error = error });
        return (exit, output.ToString(), error.ToString());
    }

    private string Temp(string name) => Path.Combine(_dir, name);

    [Fact]
    public void Import_WritesTheTable_AndReportsTheKindsToFillIn()
    {
        var target = Temp("lockorder.json");

        var (exit, stdout, stderr) = Run("import", Repo.FixturePath, "-o", target);

        Assert.Equal(0, exit);
        Assert.Equal($"wrote {target}: 27 rows, 3 without a kind (fill them in by hand)\n", stdout.Replace("\r\n", "\n", StringComparison.Ordinal));
        Assert.Equal(3, stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains($"{Repo.FixturePath}:{Repo.LineOf(Repo.FixtureText, " * inode->i_rwsem")}: warning: row 19 'inode->i_rwsem': kind not inferred", stderr, StringComparison.Ordinal);
        Assert.Equal(27, JsonNode.Parse(File.ReadAllText(target))!["locks"]!.AsArray().Count);
    }

    [Fact]
    public void Import_TheLongOptionName_MergesIntoAnExistingFile()
    {
        var target = Temp("table.json");
        File.WriteAllText(target, Repo.TableText);

        var (exit, stdout, stderr) = Run("import", Repo.FixturePath, "--output", target);

        Assert.Equal(0, exit);
        Assert.StartsWith($"merged into {target}: 27 rows", stdout, StringComparison.Ordinal);
        Assert.Equal("", stderr);
        Assert.True(JsonNode.DeepEquals(Repo.Table, JsonNode.Parse(File.ReadAllText(target))));
    }

    [Fact]
    public void Import_AMalformedHeader_ExitsNonZero_WithFileAndLine_AndWritesNothing()
    {
        var header = Temp("bad.h");
        File.WriteAllText(header, "/*\n * Lock\t\t\t\tProtects\t\t\tInitialization fn\n * a_lock\n *\t\t\t\tx\t\ty\t\tz\n */\n");
        var target = Temp("lockorder.json");

        var (exit, stdout, stderr) = Run("import", header, "-o", target);

        Assert.Equal(1, exit);
        Assert.Equal("", stdout);
        Assert.StartsWith($"{header}:4: error: cannot split the columns", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(target));
    }

    [Fact]
    public void Import_AnUnreadableExistingTable_ExitsNonZero_AndLeavesItAsItWas()
    {
        var target = Temp("lockorder.json");
        const string broken = "{ \"locks\": [\n  { \"name\": \"a\" ]\n}";
        File.WriteAllText(target, broken);

        var (exit, _, stderr) = Run("import", Repo.FixturePath, "-o", target);

        Assert.Equal(1, exit);
        Assert.StartsWith($"{target}:2: error: not valid JSON", stderr, StringComparison.Ordinal);
        Assert.Equal(broken, File.ReadAllText(target));
    }

    [Fact]
    public void Import_AMissingHeader_ExitsNonZero_WithoutAStackTrace()
    {
        var missing = Temp("missing.h");

        var (exit, _, stderr) = Run("import", missing, "-o", Temp("lockorder.json"));

        Assert.Equal(1, exit);
        Assert.StartsWith($"{missing}: error: cannot read the header: ", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Import_WithoutAHeader_IsAUsageError()
    {
        var (exit, _, stderr) = Run("import", "-o", Temp("lockorder.json"));

        Assert.NotEqual(0, exit);
        Assert.Contains("Required argument missing for command: 'import'", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_ListsTheImportCommand()
    {
        var (exit, stdout, _) = Run("--help");

        Assert.Equal(0, exit);
        Assert.Contains("import", stdout, StringComparison.Ordinal);
        Assert.Contains("lockorder.json", stdout, StringComparison.Ordinal);
    }
}
