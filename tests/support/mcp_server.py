"""A real MCP server for the tests, written with the official SDK (`mcp`), run as a script:

    python mcp_server.py [--pid-file PATH] [--http [--token T]] [--paged N] [--exit-at-start] [--silent]

stdio by default; `--http` serves streamable HTTP on 127.0.0.1 on a free port and prints
`PORT <n>` on stdout once it listens (with `--token`, a request without
`Authorization: Bearer T` gets 401). `--paged N` serves N tools through the low-level server, a
few per `tools/list` page. `--exit-at-start` writes to stderr and exits with code 3 before
speaking MCP; `--silent` never answers (it reads stdin and says nothing).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any

import mcp_types as types
from mcp.server.lowlevel import Server
from mcp.server.mcpserver import Image, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.stdio import stdio_server

PAGE = 3  # tools per tools/list page in --paged mode


def main_server() -> MCPServer:
    server = MCPServer("chi-test", log_level="WARNING")

    @server.tool()
    def add(a: int, b: int) -> int:
        """Add two whole numbers."""
        return a + b

    @server.tool()
    def echo(text: str) -> str:
        """Say the text back."""
        return text

    @server.tool()
    def fail(reason: str) -> str:
        """Fail on purpose, saying why."""
        raise ToolError(f"refused: {reason}")

    @server.tool()
    async def wait(seconds: float) -> str:
        """Wait, then say so."""
        await asyncio.sleep(seconds)
        return "waited"

    @server.tool()
    def big(size: int) -> str:
        """A text of `size` characters."""
        return "x" * size

    @server.tool()
    def weather(city: str) -> dict[str, Any]:
        """The weather in a city, as structured data."""
        return {"city": city, "celsius": 21}

    @server.tool()
    def picture() -> Image:
        """A tiny image."""
        return Image(data=b"\x89PNG\r\n\x1a\n" + b"\0" * 4000, format="png")

    @server.tool()
    def die() -> str:
        """Exit the server process at once."""
        os._exit(5)

    @server.tool(name="math.mul")
    def mul(a: int, b: int) -> int:
        """Multiply (a dotted name, which providers do not accept)."""
        return a * b

    return server


def paged_server(count: int) -> Server[Any]:
    tools = [
        types.Tool(
            name=f"t{index}",
            description=f"tool number {index}",
            input_schema={"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]},
        )
        for index in range(count)
    ]

    async def list_tools(ctx: Any, params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        start = int(params.cursor) if params is not None and params.cursor else 0
        end = start + PAGE
        return types.ListToolsResult(tools=tools[start:end], next_cursor=str(end) if end < count else None)

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        n = (params.arguments or {}).get("n")
        return types.CallToolResult(content=[types.TextContent(text=f"{params.name} got {n}")])

    return Server("chi-test-paged", on_list_tools=list_tools, on_call_tool=call_tool)


async def run_paged(server: Server[Any]) -> None:
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def guarded(app: Any, token: str) -> Any:
    """`app` answering 401 to a request without `Authorization: Bearer <token>`."""
    wanted = f"Bearer {token}".encode()

    async def guard(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and dict(scope["headers"]).get(b"authorization") != wanted:
            await send({"type": "http.response.start", "status": 401, "headers": []})
            await send({"type": "http.response.body", "body": b"unauthorized"})
            return
        await app(scope, receive, send)

    return guard


def serve_http(server: MCPServer, token: str | None) -> None:
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    app = server.streamable_http_app(host="127.0.0.1")
    config = uvicorn.Config(app if token is None else guarded(app, token), log_level="warning", lifespan="on")
    print(f"PORT {sock.getsockname()[1]}", flush=True)  # the test reads it
    uvicorn.Server(config).run(sockets=[sock])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pid-file")
    parser.add_argument("--http", action="store_true")
    parser.add_argument("--token")
    parser.add_argument("--paged", type=int, default=0)
    parser.add_argument("--exit-at-start", action="store_true")
    parser.add_argument("--silent", action="store_true")
    args = parser.parse_args()
    if args.pid_file:
        Path(args.pid_file).write_text(str(os.getpid()), encoding="utf-8")
    if args.exit_at_start:
        sys.stderr.write("chi-test: no database configured, giving up\n")
        sys.exit(3)
    if args.silent:
        while sys.stdin.readline():
            time.sleep(0.01)
        return
    if args.paged:
        asyncio.run(run_paged(paged_server(args.paged)))
    elif args.http:
        serve_http(main_server(), args.token)
    else:
        main_server().run("stdio")


if __name__ == "__main__":
    main()
