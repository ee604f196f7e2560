// TlsClient.java: Java's own TLS client (JSSE), which picks its certificate
// by the key types a TLS 1.2 CertificateRequest lists. Run as a single-file
// program (java TlsClient.java ...) by test_tls_conformance.sh:
//   java TlsClient.java PORT PROTOCOL CLIENT.p12 PASSWORD ROOT.pem
// Prints the HTTP status of GET /api/whoami, or "error: ..." with Java's message.
import java.io.*;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import javax.net.ssl.*;

public class TlsClient {
    public static void main(String[] a) throws Exception {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = new FileInputStream(a[2])) { ks.load(in, a[3].toCharArray()); }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, a[3].toCharArray());
        KeyStore ts = KeyStore.getInstance(KeyStore.getDefaultType());
        ts.load(null, null);
        try (InputStream in = new FileInputStream(a[4])) {
            ts.setCertificateEntry("root", (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", Integer.parseInt(a[0]))) {
            s.setSoTimeout(10000);
            s.setEnabledProtocols(new String[] {a[1]});
            OutputStream out = s.getOutputStream();
            out.write("GET /api/whoami HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes("US-ASCII"));
            out.flush();
            String line = new BufferedReader(new InputStreamReader(s.getInputStream(), "US-ASCII")).readLine();
            System.out.println(line != null && line.startsWith("HTTP/1.1 ") ? line.substring(9, 12) : "error: no answer");
        } catch (IOException e) {
            System.out.println("error: " + e.getMessage());
        }
    }
}
