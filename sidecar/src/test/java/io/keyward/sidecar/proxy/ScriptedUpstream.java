package io.keyward.sidecar.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A raw TCP upstream that misbehaves on purpose: each accepted connection gets the request head
 * read, then runs a script that writes whatever bytes it likes and closes.
 */
final class ScriptedUpstream implements AutoCloseable {
  interface Script {
    void run(Socket socket, String requestHead) throws IOException;
  }

  final BlockingQueue<String> heads = new LinkedBlockingQueue<>();
  private final ServerSocket server;
  private final Thread acceptor;

  ScriptedUpstream(Script script) throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    acceptor = new Thread(() -> {
      while (!server.isClosed()) {
        try (Socket s = server.accept()) {
          String head = readHead(s.getInputStream());
          heads.add(head);
          script.run(s, head);
        } catch (IOException e) {
          // closed, or the proxy hung up: either way the next connection is independent
        }
      }
    }, "scripted-upstream");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getLocalPort();
  }

  static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    int b;
    while (matched < 4 && (b = in.read()) >= 0) {
      head.write(b);
      matched = (b == '\r' || b == '\n') && "\r\n\r\n".charAt(matched) == b ? matched + 1
          : b == '\r' ? 1 : 0;
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() throws IOException {
    server.close();
  }
}
