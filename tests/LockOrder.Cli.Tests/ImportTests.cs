using System;
using System.Linq;
using System.Text.Json.Nodes;
using LockOrder.Cli.Import;
using LockTableLoader = LockOrder.Hierarchy.LockTableLoader;
using Xunit;

namespace LockOrder.Cli.Tests;

/// <summary>Importing the fixture header (the cifs table in the kernel's comment format) against the repository's
/// own lockorder.json.</summary>
public class ImportTests
{
    private const string Out = "lockorder.json";

    private static ImportResult ImportFresh() => Importer.Import(Repo.FixtureName, Repo.FixtureText, Out, existingText: null);

    [Fact]
    public void Fixture_GivesTheRepositorysRowsInOrder_WithTheirHeaderColumns()
    {
        var imported = Repo.Rows((JsonObject)JsonNode.Parse(ImportFresh().Json)!);
        var repo = Repo.Rows(Repo.Table);

        Assert.Equal(27, repo.Length);
        Assert.Equal(repo.Select(r => Repo.Str(r, "name")), imported.Select(r => Repo.Str(r, "name")));
        for (int i = 0; i < repo.Length; i++)
        {
            var name = Repo.Str(repo[i], "name");
            Assert.True(repo[i]["header"] is JsonObject, $"row {i + 1} '{name}' of lockorder.json has no header");
            Assert.Equal((name, Repo.Str(repo[i]["header"], "protects")), (name, Repo.Str(imported[i]["header"], "protects")));
            Assert.Equal((name, Repo.Str(repo[i]["header"], "init")), (name, Repo.Str(imported[i]["header"], "init")));
        }
    }

    [Fact]
    public void Fixture_KindsAreInferredFromTheDeclarations_AndTheRestAreReported()
    {
        var result = ImportFresh();
        var imported = Repo.Rows((JsonObject)JsonNode.Parse(result.Json)!);
        var repo = Repo.Rows(Repo.Table);

        // Every row whose lock the header declares gets the repository's kind; the three it does not declare
        // (two the kernel never declares in cifsglob.h, and the VFS's i_rwsem) have none.
        var withoutKind = imported.Select((r, i) => (Row: i + 1, Kind: Repo.Str(r, "kind"))).Where(r => r.Kind is null).Select(r => r.Row);
        Assert.Equal(new[] { 1, 2, 19 }, withoutKind);
        for (int i = 0; i < repo.Length; i++)
        {
            if (Repo.Str(imported[i], "kind") is { } kind)
            {
                Assert.Equal((i + 1, Repo.Str(repo[i], "kind")), (i + 1, kind));
            }
        }

        Assert.Equal(3, result.KindsMissing);
        Assert.Equal(3, result.Messages.Count);
        var text = Repo.FixtureText;
        Assert.StartsWith($"cifs-locks.h:{Repo.LineOf(text, " * vol_list_lock")}: warning: row 1 'vol_list_lock': kind not inferred: the header declares no 'vol_list_lock'", result.Messages[0], StringComparison.Ordinal);
        Assert.StartsWith($"cifs-locks.h:{Repo.LineOf(text, " * vol_info->ctx_lock")}: warning: row 2 'vol_info->ctx_lock': kind not inferred: the header declares no 'ctx_lock'", result.Messages[1], StringComparison.Ordinal);
        Assert.StartsWith($"cifs-locks.h:{Repo.LineOf(text, " * inode->i_rwsem")}: warning: row 19 'inode->i_rwsem': kind not inferred: the header declares no 'i_rwsem'", result.Messages[2], StringComparison.Ordinal);
        Assert.All(result.Messages, m => Assert.Contains("fill in \"kind\" by hand", m, StringComparison.Ordinal));
    }

    [Fact]
    public void Fixture_ImportLoadsInTheAnalyzer_WithOnlyTheMissingKindsReported()
    {
        var table = LockTableLoader.Load(ImportFresh().Json);

        Assert.True(table.IsUsable);
        var invalid = table.Problems.Where(p => p.Rule.Id != "LOCK104").ToList();
        Assert.Equal(new[] { "LOCK101", "LOCK101", "LOCK101" }, invalid.Select(p => p.Rule.Id));
        Assert.All(invalid, p => Assert.EndsWith("has no 'kind'", p.Args[0]?.ToString(), StringComparison.Ordinal));
        Assert.Equal(24, table.Locks.Length);
        Assert.Equal(Enumerable.Range(1, 27).Except(new[] { 1, 2, 19 }), table.Locks.Select(l => l.Row));
        Assert.Equal("->count, ->invalidHandle, ->oplock_break_cancelled", table.Locks.Single(l => l.Row == 27).Header?.Protects);
    }

    [Fact]
    public void ReimportOverTheRepositorysTable_ChangesNoRowAndKeepsEverythingElse()
    {
        var result = Importer.Import(Repo.FixtureName, Repo.FixtureText, Out, Repo.TableText);
        var merged = (JsonObject)JsonNode.Parse(result.Json)!;
        var repo = Repo.Table;

        Assert.Empty(result.Messages);
        Assert.Equal(0, result.KindsMissing);
        Assert.Equal(repo.Select(p => p.Key), merged.Select(p => p.Key));
        foreach (var (key, value) in repo)
        {
            Assert.True(JsonNode.DeepEquals(value, merged[key]), $"'{key}' changed:\n{merged[key]}");
        }

        // The rewritten file is one the analyzer reads as it reads the repository's.
        var table = LockTableLoader.Load(result.Json);
        Assert.Empty(table.Problems.Where(p => p.Rule.Id != "LOCK104"));
        Assert.Equal(27, table.Locks.Length);
    }

    [Fact]
    public void Merge_KeepsHandAddedFields_ExtraRows_AndASetKind()
    {
        var existing = Repo.Table;
        var rows = Repo.Rows(existing);
        existing["primitives"]!.AsArray().Add(new JsonObject { ["type"] = "App.Spin", ["kind"] = "spinlock", ["acquire"] = "Enter", ["release"] = "Exit" });
        existing["blocking"]!.AsArray().Add("App.Disk.Flush");
        rows[25]["kind"] = "semaphore"; // cifsFileInfo->fh_mutex: set by hand against the header's 'struct mutex'
        rows[25]["symbol"] = "App.FileInfo.FhMutex";
        rows[0]["note"] = "kept by hand";
        rows[18]["nestable"] = true; // inode->i_rwsem, also keeps its hand-set kind 'rwsem'
        rows[1]["header"] = new JsonObject { ["protects"] = "an old text", ["init"] = "" };
        var locks = existing["locks"]!.AsArray();
        locks.Insert(0, new JsonObject { ["name"] = "cifs_mount_mutex", ["kind"] = "mutex", ["note"] = "extra at the top" });
        locks.Insert(1 + 9, new JsonObject { ["name"] = "cifs_tcon->sb_list_lock", ["kind"] = "spinlock", ["symbol"] = "App.Tcon.SbListLock" });
        locks.Add(new JsonObject { ["name"] = "mid_q_entry->mid_lock", ["kind"] = "spinlock" });

        var result = Importer.Import(Repo.FixtureName, Repo.FixtureText, Out, existing.ToJsonString());
        var merged = (JsonObject)JsonNode.Parse(result.Json)!;
        var names = Repo.Rows(merged).Select(r => Repo.Str(r, "name")).ToList();

        Assert.Equal(30, names.Count);
        Assert.Equal("cifs_mount_mutex", names[0]);
        Assert.Equal("cifs_tcon->stat_lock", names[names.IndexOf("cifs_tcon->sb_list_lock") - 1]);
        Assert.Equal("mid_q_entry->mid_lock", names[^1]);
        Assert.Equal(Repo.Rows(Repo.Table).Select(r => Repo.Str(r, "name")), names.Where(n => n is not ("cifs_mount_mutex" or "cifs_tcon->sb_list_lock" or "mid_q_entry->mid_lock")));

        var byName = Repo.Rows(merged).ToDictionary(r => Repo.Str(r, "name")!);
        Assert.Equal("App.Tcon.SbListLock", Repo.Str(byName["cifs_tcon->sb_list_lock"], "symbol"));
        Assert.Equal("extra at the top", Repo.Str(byName["cifs_mount_mutex"], "note"));
        Assert.Equal("semaphore", Repo.Str(byName["cifsFileInfo->fh_mutex"], "kind"));
        Assert.Equal("App.FileInfo.FhMutex", Repo.Str(byName["cifsFileInfo->fh_mutex"], "symbol"));
        Assert.Equal("kept by hand", Repo.Str(byName["vol_list_lock"], "note"));
        Assert.Equal("spinlock", Repo.Str(byName["vol_list_lock"], "kind"));
        Assert.Equal("rwsem", Repo.Str(byName["inode->i_rwsem"], "kind"));
        Assert.True(byName["inode->i_rwsem"]["nestable"]!.GetValue<bool>());
        Assert.Equal("vol_info->ctx", Repo.Str(byName["vol_info->ctx_lock"]["header"], "protects"));
        Assert.Equal("SampleCache.Kernel.CifsTcon.TcCount", byName["cifs_tcon->tc_lock"]["protects"]![0]!.GetValue<string>());
        Assert.Equal(Repo.Str(Repo.Rows(Repo.Table)[6], "note"), Repo.Str(byName["cached_fid->cfid_mutex"], "note"));
        Assert.Equal("$schema,locks,primitives,invokes,frees,blocking", string.Join(",", merged.Select(p => p.Key)));
        Assert.True(JsonNode.DeepEquals(existing["primitives"], merged["primitives"]));
        Assert.True(JsonNode.DeepEquals(existing["blocking"], merged["blocking"]));
        Assert.True(JsonNode.DeepEquals(existing["frees"], merged["frees"]));
        Assert.True(JsonNode.DeepEquals(existing["invokes"], merged["invokes"]));

        int fh = Repo.LineOf(Repo.FixtureText, " * cifsFileInfo->fh_mutex");
        Assert.Equal(
            new[]
            {
                $"lockorder.json: note: row 3 'vol_info->ctx_lock': header protects changed from 'an old text' to 'vol_info->ctx'",
                $"cifs-locks.h:{fh}: warning: row 28 'cifsFileInfo->fh_mutex': lockorder.json says kind 'semaphore' but the header declares 'fh_mutex' as a mutex (line {Repo.LineOf(Repo.FixtureText, "struct mutex fh_mutex;")}, in struct cifsFileInfo); kept 'semaphore'",
                "lockorder.json: warning: row 'cifs_mount_mutex' is not in cifs-locks.h; kept it at the top (now row 1)",
                "lockorder.json: warning: row 'cifs_tcon->sb_list_lock' is not in cifs-locks.h; kept it after 'cifs_tcon->stat_lock' (now row 11)",
                "lockorder.json: warning: row 'mid_q_entry->mid_lock' is not in cifs-locks.h; kept it after 'cifsFileInfo->file_info_lock' (now row 30)",
            },
            result.Messages);
    }

    [Fact]
    public void Merge_ReportsARowThatMoved_AndWritesTheHeadersOrder()
    {
        // The existing file has cifs_tcp_ses_lock (header row 10) above cifs_tcon->open_file_lock (row 8), as the
        // kernel's January 2026 correction has it.
        var existing = Repo.Table;
        var locks = existing["locks"]!.AsArray();
        var moved = locks[9]!;
        locks.RemoveAt(9);
        locks.Insert(7, moved);

        var result = Importer.Import(Repo.FixtureName, Repo.FixtureText, Out, existing.ToJsonString());

        int line = Repo.LineOf(Repo.FixtureText, " * cifs_tcp_ses_lock");
        Assert.Equal(
            new[] { $"cifs-locks.h:{line}: warning: order changed: 'cifs_tcp_ses_lock' was after 'cached_fid->cfid_mutex' in lockorder.json and is after 'cifs_tcon->stat_lock' in cifs-locks.h; the header's order is written" },
            result.Messages);
        var names = Repo.Rows((JsonObject)JsonNode.Parse(result.Json)!).Select(r => Repo.Str(r, "name"));
        Assert.Equal(Repo.Rows(Repo.Table).Select(r => Repo.Str(r, "name")), names);
    }

    [Fact]
    public void Merge_ReportsNewRows_AndFillsTheirKinds()
    {
        var existing = Repo.Table;
        existing["locks"]!.AsArray().RemoveAt(24); // cached_fid->fid_lock, as before patch 4/5

        var result = Importer.Import(Repo.FixtureName, Repo.FixtureText, Out, existing.ToJsonString());

        Assert.Equal(new[] { $"cifs-locks.h:{Repo.LineOf(Repo.FixtureText, " * cached_fid->fid_lock")}: note: row 25 'cached_fid->fid_lock' is new (not in lockorder.json)" }, result.Messages);
        var row = Repo.Rows((JsonObject)JsonNode.Parse(result.Json)!)[24];
        Assert.Equal("spinlock", Repo.Str(row, "kind"));
        Assert.Null(row["symbol"]);
    }

    [Fact]
    public void Merge_ExistingFileWithComments_IsReadAndSaysTheCommentsGo()
    {
        var existing = "// my table\n{ \"locks\": [ /* first */ { \"name\": \"vol_list_lock\", \"kind\": \"spinlock\", }, ], }";

        var result = Importer.Import(Repo.FixtureName, Repo.FixtureText, Out, existing);

        Assert.Equal("lockorder.json: warning: its comments are not kept (the rewritten file is plain JSON)", result.Messages[0]);
        Assert.Equal(27, result.Rows);
        Assert.DoesNotContain("//", result.Json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ \"locks\": [\n  { \"name\": \"a\" }\n  { \"name\": \"b\" }\n] }", 3, "not valid JSON")]
    [InlineData("[ ]", 1, "not a lock table")]
    public void Merge_AnUnreadableExistingFile_IsAnErrorWithItsLine(string existing, int line, string message)
    {
        var e = Assert.Throws<ImportException>(() => Importer.Import(Repo.FixtureName, Repo.FixtureText, Out, existing));

        Assert.Equal(Out, e.File);
        Assert.Equal(line, e.Line);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Merge_ARowWithoutAName_IsAnError()
    {
        var e = Assert.Throws<ImportException>(() => Importer.Import(Repo.FixtureName, Repo.FixtureText, Out, "{ \"locks\": [ { \"kind\": \"mutex\" } ] }"));

        Assert.Equal("lockorder.json: error: row 1 of 'locks' has no name, so it cannot be matched with the header; fix or remove it first", e.ToString());
    }

    [Fact]
    public void Output_IsStable_AndLaidOutOneRowPerObject()
    {
        var first = ImportFresh().Json;
        var again = Importer.Import(Repo.FixtureName, Repo.FixtureText, Out, first).Json;

        Assert.Equal(first, again);
        var lines = first.Split('\n');
        Assert.Equal("{", lines[0]);
        Assert.Equal("  \"locks\": [", lines[1]);
        Assert.Equal("    { \"name\": \"cifs_sb_info->tlink_tree_lock\", \"kind\": \"spinlock\",", lines[6]);
        Assert.Equal("      \"header\": { \"protects\": \"cifs_sb_info->tlink_tree\", \"init\": \"cifs_setup_cifs_sb\" } },", lines[7]);
        Assert.EndsWith("}\n", first, StringComparison.Ordinal);
    }
}
