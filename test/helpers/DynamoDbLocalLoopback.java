/*
 * Starts AWS's DynamoDB Local on 127.0.0.1 and an ephemeral port. The jar's own command line
 * binds every interface and refuses port 0, so this launcher builds the server the way the jar's
 * ServerRunner does, then rebinds its one Jetty connector to loopback, port 0, before starting.
 * Prints "LISTENING <port>" once it accepts connections; exits when its stdin closes, so the
 * server can never outlive the Node process that started it.
 *
 * Run in Java's single-file source mode by test/helpers/dynamodb-local.ts.
 */
import java.lang.reflect.Field;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public class DynamoDbLocalLoopback {
  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field serverField = DynamoDBProxyServer.class.getDeclaredField("server");
    serverField.setAccessible(true);
    Server server = (Server) serverField.get(proxy);
    ServerConnector connector = (ServerConnector) server.getConnectors()[0];
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    proxy.start();
    System.out.println("LISTENING " + connector.getLocalPort());
    System.out.flush();
    while (System.in.read() != -1) {
      // Drain until the parent closes our stdin (or dies).
    }
    try {
      proxy.stop();
    } finally {
      System.exit(0);
    }
  }
}
