#!/usr/bin/env python3
"""The console in a real browser: Debian's headless Chromium driven through chromium-driver.

Signs in through the identity provider's page (the sandbox's emulated Entra tenant), finds
PERSON's waiting photo in the queue, approves it, starts a sync and watches its
progress on the Runs page until it ends, then opens Coverage, the person's page and Systems; saves a
screenshot of each page in SCREENSHOTS. Prints one line per step; exits 1 on the first failure.
Run by ConsoleBrowserTests (make test), which prepares the store and starts `portrait serve`.
"""
import argparse
import os
import sys
import time

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--user", required=True, help="the account to sign in with at the provider")
    parser.add_argument("--password-env", required=True, help="the variable holding its password")
    parser.add_argument("--person", required=True, help="whose photo waits")
    parser.add_argument("--screenshots", required=True)
    args = parser.parse_args()
    os.makedirs(args.screenshots, exist_ok=True)

    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    # As root Chromium needs --no-sandbox; /dev/shm is small in containers.
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                 "--window-size=1280,1000", "--no-first-run", "--disable-extensions"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    wait = WebDriverWait(driver, 60)

    def step(text):
        print(text, flush=True)

    def shot(name):
        driver.save_screenshot(os.path.join(args.screenshots, name + ".png"))

    def images_loaded():
        return driver.execute_script(
            "return [...document.images].every(i => i.complete && i.naturalWidth > 0)")

    try:
        driver.get(args.url + "/queue")
        wait.until(EC.url_contains("/login"))
        step("signed out: sent to " + driver.current_url)
        shot("1-sign-in")
        driver.find_element(By.ID, "provider").click()
        wait.until(EC.presence_of_element_located((By.ID, "login")))
        step("at the provider: " + driver.title)
        if "/oauth2/v2.0/authorize" not in driver.current_url or "code_challenge=" not in driver.current_url:
            raise AssertionError("not sent to the provider's authorize endpoint with PKCE: " + driver.current_url)
        driver.find_element(By.ID, "login").send_keys(args.user)
        driver.find_element(By.ID, "password").send_keys(os.environ[args.password_env])
        shot("1b-provider-sign-in")
        driver.find_element(By.ID, "submit").click()

        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "ul.queue")))
        entry = driver.find_element(By.XPATH, f"//li[.//label[normalize-space()='{args.person}']]")
        wait.until(lambda _: images_loaded())
        step("queue: " + " ".join(entry.text.split()))
        shown = [f.text for f in entry.find_elements(By.CSS_SELECTOR, ".shows figcaption")]
        step("shown now: " + ", ".join(shown))
        shot("2-queue")
        entry.find_element(By.CSS_SELECTOR, "input[type=checkbox]").click()
        driver.find_element(By.ID, "reason").send_keys("checked by HR")
        driver.find_element(By.CSS_SELECTOR, "button[value=approved]").click()
        notice = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, ".notice")))
        step("decided: " + notice.text)
        if "Approved 1 photo" not in notice.text:
            raise AssertionError("no approval notice: " + notice.text)
        shot("3-queue-after")

        driver.find_element(By.LINK_TEXT, "Runs").click()
        driver.find_element(By.XPATH, "//button[normalize-space()='Sync now']").click()
        wait.until(EC.url_contains("started=1"))
        live = wait.until(EC.presence_of_element_located((By.ID, "live")))
        seen = set()
        deadline = time.time() + 120
        # The page follows the run through /runs/live and reloads when it ends.
        while time.time() < deadline:
            try:
                text = driver.find_element(By.ID, "live").text
            except Exception:
                text = ""
            if text.startswith("Sync running") and text not in seen:
                seen.add(text)
                step("progress: " + text)
                if len(seen) == 1:
                    shot("4-runs-progress")
            if "started=1" not in driver.current_url or driver.execute_script(
                    "return !!document.querySelector('.now p:not(#live)')"):
                break
            time.sleep(0.05)
        if not seen:
            raise AssertionError("the Runs page never showed the sync running")
        last = wait.until(EC.presence_of_element_located((By.XPATH, "//p[starts-with(normalize-space(), 'Last sync from this console')]")))
        step("finished: " + last.text)
        if "Last sync from this console: ok" not in last.text:
            raise AssertionError("the sync did not end ok: " + last.text)
        shot("5-runs-done")

        driver.find_element(By.LINK_TEXT, "Coverage").click()
        wait.until(EC.presence_of_element_located((By.TAG_NAME, "table")))
        wait.until(lambda _: images_loaded())
        step("coverage: " + driver.find_element(By.CSS_SELECTOR, "main p").text)
        shot("6-coverage")

        driver.find_element(By.LINK_TEXT, "People").click()
        search = driver.find_element(By.ID, "q")
        search.send_keys(args.person.split("@")[0])
        search.submit()
        driver.find_element(By.LINK_TEXT, args.person).click()
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "ul.photos img")))
        wait.until(lambda _: images_loaded())
        step("person: " + " | ".join(f.text for f in driver.find_elements(By.CSS_SELECTOR, "ul.photos figcaption")))
        shot("7-person")

        driver.find_element(By.LINK_TEXT, "Systems").click()
        deadline = time.time() + 60
        while "Checked at" not in driver.page_source and time.time() < deadline:
            time.sleep(0.5)
            driver.refresh()
        rows = driver.find_elements(By.CSS_SELECTOR, "main tbody tr")
        if not rows:
            raise AssertionError("the Systems page shows no check")
        for row in rows:
            step("system: " + " | ".join(cell.text for cell in row.find_elements(By.CSS_SELECTOR, "th, td")))
        shot("8-systems")
    except (AssertionError, TimeoutException) as failure:
        shot("failure")
        print("FAILED: " + str(failure) + " at " + driver.current_url, file=sys.stderr)
        print(driver.page_source[:2000], file=sys.stderr)
        return 1
    finally:
        driver.quit()
    return 0


if __name__ == "__main__":
    sys.exit(main())
