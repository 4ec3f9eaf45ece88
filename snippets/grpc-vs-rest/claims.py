"""What the gRPC/REST page concludes from its measured tables, as claims that hold on any CPU.

Byte counts are the same everywhere; CPU times and latencies are not, so each claim compares
columns of one run, never a number with the page. On the page these run after the helper in
snippets/common/claims.py; tests/test_claims.py feeds them tables where each is false.
"""

from snippets.common.claims import claim  # on the page: included just before

# --8<-- [start:codec-claims]
def codec_claims(sizes, costs, batches=(32, 256)):
    """sizes, costs: (rows, payload) -> [JSON, JSON+gzip, protobuf] in kB and in ms."""
    cases = [case for case in sizes if case[0] in batches]
    images = [case for case in cases if case[1].startswith("image")]
    dense = [case for case in cases if case[1].startswith("dense")]

    def ratios(table, a, b, among):
        return {f"{rows} {name}": round(table[rows, name][a] / table[rows, name][b], 2) for rows, name in among}

    gzip_vs_proto = ratios(sizes, 1, 2, cases)
    claim("gzip'd JSON is within 1.5x of protobuf's bytes for images, at 32 and 256 rows",
          all(gzip_vs_proto[f"{r} {n}"] < 1.5 for r, n in images), gzip_vs_proto)
    claim("gzip'd JSON stays over 1.5x protobuf's bytes for dense floats",
          all(gzip_vs_proto[f"{r} {n}"] > 1.5 for r, n in dense), gzip_vs_proto)
    # The gzip'd body is the JSON body plus compression: it cannot cost less CPU.
    gzip_vs_json = ratios(costs, 1, 0, cases)
    claim("gzip'd JSON costs more CPU than plain JSON, at 32 and 256 rows",
          all(ratio > 1 for ratio in gzip_vs_json.values()), gzip_vs_json)
    json_vs_proto = ratios(costs, 0, 2, cases)
    claim("plain JSON costs over 20x protobuf's CPU, at 32 and 256 rows",
          all(ratio > 20 for ratio in json_vs_proto.values()), json_vs_proto)
# --8<-- [end:codec-claims]

# --8<-- [start:latency-claims]
def latency_claims(latency):
    """latency: rows -> [(p50, p90) for REST, REST+gzip, gRPC] in ms."""
    p50 = {rows: {"REST": cells[0][0], "gRPC": cells[2][0]} for rows, cells in latency.items()}
    claim("gRPC's p50 is below REST's at 32 and 256 rows",
          all(p50[rows]["gRPC"] < p50[rows]["REST"] for rows in (32, 256)), p50)
    growth = {api: round(p50[256][api] / p50[1][api], 1) for api in ("REST", "gRPC")}
    claim("from 1 to 256 rows, REST's p50 grows by a larger factor than gRPC's",
          growth["REST"] > growth["gRPC"], growth)
# --8<-- [end:latency-claims]


# --8<-- [start:client-gc-claims]
def client_gc_claims(table):
    """table: state -> (p50 ms, p90 ms, full collections, objects each full collection walks)."""
    (_, _, full, walked), (_, _, _, walked_frozen) = table["collector as it is"], table["after gc.freeze()"]
    claim("encoding 256 rows 100 times sets off full collections", full > 0, table)
    claim("after gc.freeze() a full collection walks under 1% of the objects it walked before",
          walked_frozen < 0.01 * walked, {"before": walked, "after": walked_frozen})
# --8<-- [end:client-gc-claims]
